"""Portal pages of a business's account: dashboard, obligations, payment history."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("billing", __name__, url_prefix="/portal")

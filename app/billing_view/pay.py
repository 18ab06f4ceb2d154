"""Paying from the portal: online through a gateway, or with a printed transfer form."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("billing_pay", __name__, url_prefix="/portal")


@bp.get("/platnosc")
def choose():
    """What to pay and how (query: contractor_id, obligation_id… or none for an amount)."""
    abort(501)


@bp.post("/platnosc")
def start():
    """Start an online payment of what `choose` offered."""
    abort(501)


@bp.get("/przelew/<int:contractor_id>.pdf")
def transfer_form(contractor_id: int):
    """The transfer form PDF (query: unit_id, obligation_id… or amount)."""
    abort(501)

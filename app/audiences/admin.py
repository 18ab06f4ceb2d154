"""Admin views of the audiences: segments (with the rule builder) and static lists."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint
from flask_admin import Admin
from flask_babel import lazy_gettext as _l

from app.audiences.admin_lists import StaticListView
from app.audiences.admin_segments import SegmentView
from app.audiences.models import Segment, StaticList
from app.core.extensions import db

#: Serves this package's templates (`audiences/...`) to the admin views.
templates = Blueprint(
    "audiences_templates", __name__, template_folder=str(Path(__file__).parent / "templates")
)


def register(admin: Admin) -> None:
    """Add "Segments" and "Static lists" under "Audiences"."""
    if "audiences_templates" not in admin.app.blueprints:
        admin.app.register_blueprint(templates)
    audiences = _l("Audiences")
    admin.add_view(SegmentView(Segment, db, name=_l("Segments"), endpoint="segments", category=audiences))
    admin.add_view(
        StaticListView(StaticList, db, name=_l("Static lists"), endpoint="static_lists", category=audiences)
    )

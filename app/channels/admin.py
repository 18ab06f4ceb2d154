"""Admin views of the channels: the outbox, the SMS inbox, opt-outs and unit channel policies."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint
from flask_admin import Admin
from flask_babel import lazy_gettext as _l

from app.channels.admin_inbox import InboxView, new_inbox_count
from app.channels.admin_optouts import OptOutView
from app.channels.admin_outbox import MessageView
from app.channels.admin_policies import ChannelPolicyView
from app.channels.models import ChannelPolicy, InboundSms, InboundStatus, Message, OptOut
from app.core.admin import DashboardPanel
from app.core.extensions import db
from app.core.roles import Role

#: Serves this package's templates (`channels/...`) to the admin views.
templates = Blueprint(
    "channels_templates", __name__, template_folder=str(Path(__file__).parent / "templates")
)


def register(admin: Admin) -> None:
    """Add the channel views under "Channels" and the new-replies panel to the start page."""
    if "channels_templates" not in admin.app.blueprints:
        admin.app.register_blueprint(templates)
    channels = _l("Channels")
    admin.add_view(
        MessageView(Message, db, name=_l("Messages"), endpoint="messages", category=channels)
    )
    inbox = InboxView(InboundSms, db, name=_l("SMS inbox"), endpoint="inbox", category=channels)
    admin.add_view(inbox)
    admin.add_view(
        OptOutView(OptOut, db, name=_l("Opt-outs"), endpoint="optouts", category=channels)
    )
    admin.add_view(
        ChannelPolicyView(
            ChannelPolicy,
            db,
            name=_l("Channel policies"),
            endpoint="channel_policies",
            category=channels,
        )
    )

    def inbox_panel() -> dict:
        return {**new_inbox_count(), "new_url": inbox.status_filter_url(InboundStatus.NEW)}

    admin.index_view.add_panel(
        DashboardPanel(
            template="channels/panels/inbox.html",
            context=inbox_panel,
            roles=(Role.INBOX, Role.COMMUNICATOR),
            order=15,
        )
    )

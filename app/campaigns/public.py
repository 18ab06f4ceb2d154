"""Public pages reached from messages: unsubscribing (also RFC 8058 one-click) and the personal link."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from app.accounts.models import OPTIONAL_CATEGORIES, Contractor
from app.accounts.preferences import category_choice, choose_category
from app.campaigns.labels import CATEGORY_LABELS
from app.campaigns.links import verify
from app.campaigns.models import Campaign, origin_of
from app.channels.models import Message
from app.channels.optouts import is_opted_out, opt_out
from app.core.extensions import csrf, db, limiter

bp = Blueprint("campaign_links", __name__, template_folder="templates")
csrf.exempt(bp)  # the signed token in the address is the authority; mail clients POST without a form


def _recipient(token: str) -> tuple[Campaign, int, str]:
    ids = verify("unsubscribe", token, 2)
    if ids is None:
        abort(404)
    campaign = db.session.get(Campaign, ids[0])
    if campaign is None:
        abort(404)
    address = db.session.scalar(select(Message.recipient).where(
        Message.origin == origin_of(campaign.id), Message.contractor_id == ids[1], Message.channel == "email"))
    if address is None:
        abort(404)
    return campaign, ids[1], address


@bp.route("/wypisz/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute")
def unsubscribe(token: str):
    """GET asks (link scanners must not unsubscribe anyone); POST unsubscribes."""
    campaign, contractor_id, address = _recipient(token)
    optional = campaign.category in OPTIONAL_CATEGORIES
    done = None
    if request.method == "POST":
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        scope = "category" if (one_click and optional) else request.form.get("scope", "all")
        if scope == "category" and optional:
            choose_category(contractor_id, campaign.category, "email", False, source="email-link",
                            actor_label=address)
            done = "category"
        else:
            opt_out("email", address, "email-link")
            done = "all"
        if one_click:
            return "", 204
    choice = category_choice(contractor_id, campaign.category) if optional else None
    return render_template(
        "campaigns/public/unsubscribe.html", campaign=campaign, address=address, optional=optional,
        category=CATEGORY_LABELS.get(campaign.category, campaign.category), done=done,
        category_off=choice is not None and not choice.email, all_off=is_opted_out("email", address),
    )


@bp.get("/p/<token>")
@limiter.limit("30 per minute")
def personal(token: str):
    """A business's personal link: into the portal when it runs, otherwise the office's page for it."""
    ids = verify("portal", token, 1)
    contractor = db.session.get(Contractor, ids[0]) if ids else None
    if contractor is None:
        abort(404)
    if "portal.start" in current_app.view_functions:
        return redirect(url_for("portal.start", k=token))
    return render_template("campaigns/public/personal.html", contractor=contractor)

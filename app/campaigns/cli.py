"""`flask campaigns ...`: list campaigns, start one from a template (for scripts of other office systems)."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from app.audiences.models import Segment, StaticList
from app.campaigns.content import ContentError
from app.campaigns.models import Campaign, CampaignTemplate
from app.campaigns.results import results
from app.campaigns.workflow import WorkflowError, start_from_template
from app.core.extensions import db

campaigns_cli = click.Group("campaigns", help="Campaigns.")


@campaigns_cli.command("list")
@click.option("--limit", default=20, show_default=True)
def list_command(limit: int) -> None:
    """The newest campaigns with their status and figures."""
    for campaign in db.session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(limit)):
        counts = results(campaign.id).counts
        click.echo(f"#{campaign.id:<5} {campaign.status:<10} {campaign.name[:50]:<50} "
                   f"wiadomości: {counts['total']}, wysłane: {counts['sent'] + counts['delivered']}, "
                   f"doręczone: {counts['delivered']}, błędy: {counts['failed']}")


@campaigns_cli.command("start-from-template")
@click.argument("template")
@click.option("--segment", help="Name of the segment to send to.")
@click.option("--list", "lists", multiple=True, help="Name of a static list to send to (repeatable).")
@click.option("--name", help="Name of the campaign (default: the template's).")
@click.option("--integration", default="cli", show_default=True, help="Who asks, for the audit log.")
def start_command(template: str, segment: str | None, lists: tuple[str, ...], name: str | None,
                  integration: str) -> None:
    """Start a campaign from TEMPLATE (its name); unreleased templates wait for an approver."""
    found = db.session.scalar(select(CampaignTemplate).where(CampaignTemplate.name == template))
    if found is None:
        sys.exit(f"no template named {template!r}")
    values: dict = {}
    if segment:
        segment_id = db.session.scalar(select(Segment.id).where(Segment.name == segment))
        if segment_id is None:
            sys.exit(f"no segment named {segment!r}")
        values["segment_id"] = segment_id
    if lists:
        ids = []
        for list_name in lists:
            list_id = db.session.scalar(select(StaticList.id).where(StaticList.name == list_name))
            if list_id is None:
                sys.exit(f"no static list named {list_name!r}")
            ids.append(list_id)
        values["include_list_ids"] = ids
    try:
        campaign = start_from_template(found, integration=integration, name=name, **values)
    except ContentError as error:
        sys.exit("the template cannot be sent: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in error.errors.items()))
    except WorkflowError as error:
        sys.exit(str(error))
    click.echo(f"campaign #{campaign.id} {campaign.status}")

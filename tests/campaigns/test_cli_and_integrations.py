"""Starting a campaign from a template without a person: released templates go out, others wait."""

from __future__ import annotations

from sqlalchemy import select

from app.campaigns.models import Campaign, CampaignTemplate
from app.core.clock import utcnow


def template(db, town, released: bool) -> CampaignTemplate:
    item = CampaignTemplate(name="Przetarg", category="economic", channel_mode="sms",
                            sms_text="Nowy przetarg dla {{ nazwa }}.")
    if released:
        item.api_released_by_id, item.api_released_at = town.approver.id, utcnow()
    db.session.add(item)
    db.session.commit()
    return item


def test_an_unreleased_template_waits_for_an_approver(app, db, town):
    template(db, town, released=False)
    result = app.test_cli_runner().invoke(args=["campaigns", "start-from-template", "Przetarg",
                                                "--segment", "Centrum", "--integration", "przetargi"])
    assert result.exit_code == 0, result.output
    campaign = db.session.scalar(select(Campaign))
    assert campaign.status == "submitted" and campaign.source == "api"
    assert campaign.estimate["members"] == 5


def test_a_released_template_is_scheduled_at_once(app, db, town, drain):
    template(db, town, released=True)
    result = app.test_cli_runner().invoke(args=["campaigns", "start-from-template", "Przetarg",
                                                "--segment", "Centrum"])
    assert result.exit_code == 0, result.output
    drain()
    campaign = db.session.scalar(select(Campaign))
    db.session.refresh(campaign)
    assert campaign.status == "finished" and campaign.approved_by_id == town.approver.id
    listing = app.test_cli_runner().invoke(args=["campaigns", "list"])
    assert "wysłane: 3" in listing.output


def test_bad_names_are_named(app, db, town):
    template(db, town, released=False)
    result = app.test_cli_runner().invoke(args=["campaigns", "start-from-template", "Przetarg",
                                                "--segment", "Nie ma"])
    assert result.exit_code != 0 and "Nie ma" in result.output
    result = app.test_cli_runner().invoke(args=["campaigns", "start-from-template", "Brak"])
    assert result.exit_code != 0 and "Brak" in result.output

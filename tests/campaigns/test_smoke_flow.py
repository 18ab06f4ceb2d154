"""From a draft to a finished campaign with the embedded outbox provider."""

from __future__ import annotations

from app.campaigns import workflow
from app.campaigns.models import CampaignStatus
from app.core.extensions import db as _db
from tests.campaigns.conftest import messages_of


def test_a_campaign_goes_from_draft_to_finished(db, town, drain):
    campaign = workflow.create_draft(
        town.author, name="Jarmark", category="cultural_event", channel_mode="both",
        sms_text="{{ nazwa }}: jarmark w sobotę. {{ link }}", email_subject="Jarmark dla {{ nazwa }}",
        email_text="Dzień dobry,\n\nzapraszamy {{ nazwa }} ({{ atrybut.BRANZA }}) na jarmark.",
        segment_id=town.segment.id)
    workflow.send_test(campaign, town.author)
    workflow.submit(campaign, town.author)
    assert campaign.estimate["members"] == 5
    workflow.approve(campaign, town.approver)
    drain()
    _db.session.expire_all()
    assert campaign.status == CampaignStatus.FINISHED, campaign.review_note
    sent = messages_of(db, campaign.id)
    assert set(sent) == {"+48600100200", "+48600100201", "+48600100202", "piekarnia@firma.pl",
                         "warsztat@firma.pl", "biuro@sklep.pl"}
    assert {m.status for m in sent.values()} == {"sent"}
    assert sent["+48600100200"].body.startswith("Piekarnia Pod Lipą: jarmark w sobotę. http")
    assert sent["+48600100200"].template.startswith("[%")
    email = sent["piekarnia@firma.pl"]
    assert "(spożywcza)" in email.body and "wypisz" in email.body
    assert email.headers["List-Unsubscribe"].startswith("<http")
    assert "Piekarnia Pod Lipą" in email.personal_html


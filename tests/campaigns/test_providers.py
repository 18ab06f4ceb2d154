"""A campaign through the real SMSAPI and SendGrid clients: what each recipient's handset and inbox get."""

from __future__ import annotations

import pytest

from app.campaigns import workflow
from app.campaigns.models import CampaignStatus
from tests.campaigns.conftest import business, messages_of
from tests.fakes.sendgrid import FakeSendgrid
from tests.fakes.smsapi import FakeSmsapi


@pytest.fixture
def providers(app):
    with FakeSmsapi(token="sms-token") as smsapi, FakeSendgrid(api_key="SG.key") as sendgrid:
        app.config.update(
            SMSAPI_TOKEN="sms-token", SMSAPI_URL=smsapi.url, SMSAPI_RATE=1000,
            SENDGRID_API_KEY="SG.key", SENDGRID_URL=sendgrid.url, SENDGRID_RATE=1000,
            PROVIDER_TIMEOUT=2.0, QUIET_HOURS="00:00-00:00",
        )
        yield smsapi, sendgrid


def run_campaign(town, drain, **values):
    fields = dict(name="Festyn", category="cultural_event", channel_mode="both",
                  sms_text="{{ nazwa }}: festyn w sobotę. Szczegóły: {{ link }}",
                  email_subject="Festyn dla {{ nazwa }}",
                  email_text="Dzień dobry,\n\nzapraszamy {{ nazwa }} na festyn.\nSzczegóły: {{ link }}",
                  segment_id=town.segment.id)
    fields.update(values)
    campaign = workflow.create_draft(town.author, **fields)
    workflow.submit(campaign, town.author)
    workflow.approve(campaign, town.approver)
    drain()
    return campaign


def test_each_recipient_gets_exactly_their_own_text_in_few_requests(db, town, providers, drain):
    smsapi, sendgrid = providers
    business(db, phone="+48600100210", email="pipe@firma.pl", name="Firma A|B")  # `|` cannot be a param
    db.session.commit()
    campaign = run_campaign(town, drain)
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.FINISHED
    messages = messages_of(db, campaign.id)
    texts = {"+" + s.number.lstrip("+"): s.text for s in smsapi.sent}
    assert len(smsapi.sent) == 4 and len(texts) == 4  # one SMS per reachable number, none twice
    assert texts == {number: messages[number].body for number in texts}
    assert any(t.startswith("Piekarnia Pod Lipą: festyn w sobotę. Szczegóły: http") for t in texts.values())
    assert any(t.startswith("Firma A|B: festyn") for t in texts.values())
    assert smsapi.requests <= 3  # one shared template (+ the one that could not share it)

    emails = {e.to[0]: e for e in sendgrid.sent}
    assert set(emails) == {"piekarnia@firma.pl", "warsztat@firma.pl", "biuro@sklep.pl", "pipe@firma.pl"}
    garage = emails["warsztat@firma.pl"]
    assert garage.subject == "Festyn dla Warsztat „Auto” & Syn"
    text = next(c["value"] for c in garage.content if c["type"] == "text/plain")
    html = next(c["value"] for c in garage.content if c["type"] == "text/html")
    assert "zapraszamy Warsztat „Auto” & Syn na festyn." in text
    assert "/wypisz/" in text and "[%" not in text and "[%" not in html
    assert "Warsztat „Auto” &amp; Syn" in html  # escaped in HTML, plain in text
    assert garage.headers["List-Unsubscribe"] == f"<{messages['warsztat@firma.pl'].headers['List-Unsubscribe'][1:-1]}>"
    assert garage.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    bakery_html = next(c["value"] for c in emails["piekarnia@firma.pl"].content if c["type"] == "text/html")
    assert '<a href="http' in bakery_html and "Piekarnia Pod Lipą" in bakery_html


def test_transliterated_sms_reaches_the_handset_without_polish_letters(db, town, providers, drain):
    smsapi, _ = providers
    run_campaign(town, drain, channel_mode="sms", sms_text="Zażółć gęślą jaźń, {{ nazwa }}",
                 sms_transliterate=True)
    texts = sorted(s.text for s in smsapi.sent)
    assert "Zazolc gesla jazn, Piekarnia Pod Lipa" in texts
    assert all(not set(t) & set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ") for t in texts)

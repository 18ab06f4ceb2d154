"""A communicator composes a campaign, tests and submits it; an approver approves it in another
browser; the communicator watches it finish. The messages go to the fake SMSAPI and SendGrid."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.audiences.models import Segment
from app.campaigns.models import Campaign
from app.channels.models import Message
from tests.campaigns.conftest import business
from tests.factories import create_staff_user
from tests.fakes import FakeSendgrid, FakeSmsapi

SMS_TEXT = "{{ nazwa }}: zapraszamy na jarmark świąteczny na Rynku w sobotę o 10:00. Do zobaczenia!"
#: Who in Centrum can be reached: (phone, email); "Zatorze" and the one without consent are not.
REACHABLE_PHONES = {"48600100200", "48600100201", "48600100202"}
REACHABLE_EMAILS = {"piekarnia@firma.pl", "warsztat@firma.pl", "biuro@sklep.pl"}


@pytest.fixture
def providers(app):
    """The real SMSAPI and SendGrid clients, talking to the fakes."""
    with FakeSmsapi(token="journey-token") as smsapi, FakeSendgrid(api_key="SG.journey") as sendgrid:
        app.config.update(
            SMSAPI_TOKEN="journey-token", SMSAPI_URL=smsapi.url, SMSAPI_RATE=1000.0,
            SENDGRID_API_KEY="SG.journey", SENDGRID_URL=sendgrid.url, SENDGRID_RATE=1000.0,
            PROVIDER_TIMEOUT=5.0, QUIET_HOURS="00:00-00:00",
        )
        yield smsapi, sendgrid


def _seed(db):
    business(db, phone="+48600100200", email="piekarnia@firma.pl", name="Piekarnia Pod Lipą")
    business(db, phone="+48600100201", email="warsztat@firma.pl", name="Warsztat Auto")
    business(db, phone="+48600100202", name="Kwiaciarnia Róża")
    business(db, email="biuro@sklep.pl", name="Sklep Nowy")
    business(db, phone="+48600100203", sms_consent=False, email_consent=None, name="Bez Zgody")
    business(db, phone="+48600100299", district="Zatorze", name="Zakład Zatorze")
    db.session.add(Segment(name="Centrum", rule={"field": "district", "op": "eq", "value": "Centrum"}))
    author = create_staff_user(roles=("communicator",), name="Anna Autorka", phone="+48600999001")
    approver = create_staff_user(roles=("approver",), name="Zenon Zatwierdzający")
    db.session.commit()
    return author, approver


def _sign_in(page, base: str, email: str, name: str) -> None:
    page.goto(f"{base}/admin/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Hasło").fill("haslo-testowe-1")
    page.get_by_role("button", name="Zaloguj się").click()
    page.get_by_role("heading", name=f"Witaj, {name}").wait_for()
    page.goto(f"{base}/admin/?lang=en")  # the campaign pages await their Polish translations


@pytest.mark.browser
def test_a_campaign_from_compose_to_finished(live_server, browser_page, screenshot, app, db, providers,
                                             stub_worker):
    smsapi, sendgrid = providers
    author, approver = _seed(db)
    page = browser_page

    _sign_in(page, live_server, author.email, "Anna Autorka")
    page.get_by_role("link", name="Campaigns").first.click()
    page.get_by_role("link", name="Campaigns", exact=True).last.click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Name", exact=True).fill("Jarmark świąteczny")
    page.get_by_label("Category", exact=True).select_option(label="Cultural event")
    page.get_by_label("Segment", exact=True).select_option(label="Centrum")
    page.get_by_label("SMS and email").check()
    audience = page.locator("#audience-panel")
    expect(audience.locator("[data-audience=members]")).to_have_text("5")
    expect(audience.locator("[data-audience=sms]")).to_have_text("3")

    sms = page.get_by_label("SMS text")
    sms.fill("{{ nazwaa }}: jarmark")
    expect(page.locator("[data-errors-for=sms_text]")).to_contain_text("Did you mean {{ nazwa }}?")
    sms.fill("")
    page.get_by_role("button", name="Insert {{ nazwa }}").click()
    sms.press("End")
    sms.type(SMS_TEXT.removeprefix("{{ nazwa }}"))
    expect(sms).to_have_value(SMS_TEXT)
    panel = page.locator("#sms-panel")
    expect(page.locator("[data-errors-for=sms_text]")).to_be_empty()
    expect(panel.locator("[data-sms=encoding]")).to_have_text("UCS-2")
    expect(panel.locator("[data-sms=parts]")).to_have_text("2")
    expect(panel.locator("[data-sms=recipients]")).to_have_text("3")
    expect(panel.locator("[data-sms=cost]")).to_have_text("0,96\u00a0zł")
    expect(panel.locator("[data-sms=translit-summary]")).to_contain_text("GSM-7, 1 part")

    page.get_by_label("Email subject").fill("Jarmark dla {{ nazwa }}")
    page.get_by_label("Email text (plain)").fill("Dzień dobry,\n\nzapraszamy {{ nazwa }} na jarmark.")
    expect(page.locator("[data-email=subject]")).to_have_text("Jarmark dla Bez Zgody")  # first member by name
    preview = page.frame_locator("#email-preview")
    expect(preview.locator("body")).to_contain_text("zapraszamy Bez Zgody na jarmark.")
    screenshot("campaigns-01-compose")

    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft “Jarmark świąteczny” saved.").wait_for()
    page.get_by_role("button", name="Send a test to me").click()
    page.get_by_text("A test was sent to +48600999001, " + author.email).wait_for()
    expect(page.locator("[data-test=current]")).to_be_visible()
    page.get_by_role("button", name="Submit for approval").click()
    page.get_by_text("Campaign “Jarmark świąteczny” was submitted for approval.").wait_for()
    expect(page.locator("[data-section=status]")).to_have_text("awaiting approval")
    expect(page.locator("[data-estimate=members]")).to_have_text("5")
    screenshot("campaigns-02-submitted")

    second = page.context.browser.new_context(viewport={"width": 1366, "height": 900}, locale="pl-PL")
    try:
        approver_page = second.new_page()
        approver_page.set_default_timeout(15_000)
        _sign_in(approver_page, live_server, approver.email, "Zenon Zatwierdzający")
        approver_page.goto(f"{live_server}/admin/campaigns/?lang=en")
        approver_page.get_by_role("link", name="Jarmark świąteczny").click()
        expect(approver_page.locator("[data-test=current]")).to_be_visible()
        approver_page.get_by_role("button", name="Approve").click()
        approver_page.get_by_text("Campaign approved: it goes out").wait_for()
    finally:
        second.close()

    # The author's page follows by itself: approved, sending, finished.
    expect(page.locator("[data-section=status]")).to_have_text("finished", timeout=30_000)
    expect(page.locator("[data-figure=total]")).to_have_text("6")
    expect(page.locator("[data-section=audit]")).to_contain_text("approved")
    expect(page.locator("[data-section=chart-summary]")).to_contain_text("6 of 6 messages handed to providers")
    screenshot("campaigns-03-finished")

    db.session.expire_all()
    campaign = db.session.scalar(select(Campaign))
    ids = {m.id: m for m in db.session.scalars(select(Message).where(Message.origin == campaign.origin))}
    campaign_sms = [s for s in smsapi.sent if s.idx and int(s.idx) in ids]
    assert sorted(s.number for s in campaign_sms) == sorted(REACHABLE_PHONES)
    assert len({s.idx for s in campaign_sms}) == len(campaign_sms) == 3
    assert all(s.text.startswith(tuple(("Piekarnia", "Warsztat", "Kwiaciarnia"))) for s in campaign_sms)
    campaign_emails = [e for e in sendgrid.sent if e.subject and e.subject.startswith("Jarmark dla")]
    assert sorted(a for e in campaign_emails for a in e.to) == sorted(REACHABLE_EMAILS)
    # The test went to the author alone, once per channel.
    assert [s.number for s in smsapi.sent if s not in campaign_sms] == ["48600999001"]
    assert [e.to for e in sendgrid.sent if e not in campaign_emails] == [[author.email]]

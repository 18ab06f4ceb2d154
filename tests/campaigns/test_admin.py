"""The campaigns admin through the test client: who may open it, composing, four eyes, the buttons."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.campaigns import workflow
from app.campaigns.fanout import start
from app.campaigns.models import Campaign, CampaignStatus
from app.core.clock import to_warsaw, utcnow
from tests.admin_support import csrf_from, sign_in, signed_in
from tests.campaigns.conftest import messages_of

LONG_POLISH = ("Szanowni Państwo, zapraszamy na jarmark świąteczny na Rynku w sobotę i niedzielę. "
               "Będą stoiska rzemieślników, gorąca czekolada i koncert kolęd. Do zobaczenia! {{ jednostka }}")


def english(client):
    """The campaign pages in English (their Polish comes with the translators)."""
    client.get("/admin/?lang=en")
    return client


def as_user(app, user):
    """A new client signed in as `user`, reading English."""
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return english(client)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def errors_at(html: str, field_id: str) -> str:
    """The text of the error box linked to a field."""
    match = re.search(rf'<div id="{field_id}-error"[^>]*>(.*?)</div>\s*</div>', html, re.S)
    assert match, f"no error box for {field_id}"
    return re.sub(r"<[^>]+>", " ", match.group(1))


def post(client, url: str, data: dict | None = None, page_url: str | None = None):
    """Post a form with the CSRF token of the page it is on."""
    token = csrf_from(page(client, page_url or url))
    return client.post(url, data={"csrf_token": token, **(data or {})})


def compose_data(town, **overrides) -> dict:
    data = {"name": "Jarmark", "category": "cultural_event", "unit_id": "", "channel_mode": "sms",
            "segment_id": str(town.segment.id), "send_mode": "now", "send_at": "", "expires_at": "",
            "sms_text": "{{ nazwa }}: jarmark w sobotę na Rynku.", "email_subject": "", "email_text": "",
            "email_html": "", "action": "save"}
    data.update(overrides)
    return data


def draft(town, author=None, **values) -> Campaign:
    fields = dict(name="Jarmark", category="cultural_event", channel_mode="sms",
                  sms_text="{{ nazwa }}: jarmark w sobotę.", segment_id=town.segment.id)
    fields.update(values)
    return workflow.create_draft(author or town.author, **fields)


@pytest.mark.parametrize("roles, status", [
    (("finance",), 403), (("inbox",), 403), (("communicator",), 200), (("approver",), 200), (("admin",), 200),
])
def test_who_may_open_the_campaign_pages(client, db, roles, status):
    signed_in(client, db, *roles)
    assert client.get("/admin/campaigns/").status_code == status
    assert client.get("/admin/campaign_templates/").status_code == status
    assert client.get("/admin/campaigns/new/").status_code == status


def test_strangers_are_sent_to_sign_in(client, db):
    response = client.get("/admin/campaigns/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_the_list_shows_campaigns_newest_first_and_filters_by_status(app, db, town):
    older = draft(town, name="Stara kampania")
    draft(town, name="Nowa kampania")
    workflow.submit(older, town.author)
    client = as_user(app, town.author)
    html = page(client, "/admin/campaigns/")
    assert html.index("Nowa kampania") < html.index("Stara kampania")
    assert "New campaign" in html and "New from template" in html
    assert 'data-status="submitted"' in html and "awaiting approval" in html
    assert "Centrum" in html and "Anna Autorka" in html
    filtered = page(client, "/admin/campaigns/?flt0_0=draft")
    assert "Nowa kampania" in filtered and "Stara kampania" not in filtered


def test_composing_shows_an_unknown_placeholder_at_its_field_and_submits_once_fixed(app, db, town):
    client = as_user(app, town.author)
    html = page(client, "/admin/campaigns/new/")
    assert "{{ atrybut.BRANZA }}" in html  # attribute codes are offered as placeholders
    response = post(client, "/admin/campaigns/new/",
                    compose_data(town, sms_text="Dzień dobry {{ nazwaa }}!", action="submit"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Unknown placeholder {{ nazwaa }}. Did you mean {{ nazwa }}?" in errors_at(html, "sms-text")
    assert "saved but not submitted" in html
    campaign = db.session.query(Campaign).one()
    assert campaign.status == CampaignStatus.DRAFT  # saved, not submitted

    response = post(client, f"/admin/campaigns/edit/?id={campaign.id}",
                    compose_data(town, sms_text="Dzień dobry {{ nazwa }}!", action="submit"))
    assert response.status_code == 302
    html = page(client, response.headers["Location"])
    assert "was submitted for approval" in html
    assert 'data-estimate="members">5<' in html and 'data-estimate="sms">3<' in html
    db.session.expire_all()
    assert campaign.status == CampaignStatus.SUBMITTED


def test_a_draft_saves_without_texts_but_submitting_names_the_missing_ones(app, db, town):
    client = as_user(app, town.author)
    response = post(client, "/admin/campaigns/new/", compose_data(town, channel_mode="both", sms_text=""))
    assert response.status_code == 302  # a draft needs no texts
    campaign = db.session.query(Campaign).one()
    response = post(client, f"/admin/campaigns/{campaign.id}/submit/",
                    page_url=f"/admin/campaigns/details/?id={campaign.id}")
    assert response.headers["Location"].endswith(f"/admin/campaigns/edit/?id={campaign.id}&check=1")
    html = page(client, response.headers["Location"])
    assert "Write the SMS text." in errors_at(html, "sms-text")
    assert "Write the email subject." in errors_at(html, "email-subject")


def test_urgent_is_refused_outside_disaster_alerts_at_the_checkbox(app, db, town):
    client = as_user(app, town.author)
    response = post(client, "/admin/campaigns/new/", compose_data(town, urgent="y"))
    html = response.get_data(as_text=True)
    assert "Only natural-disaster alerts may be urgent." in errors_at(html, "campaign-urgent")
    assert db.session.query(Campaign).count() == 0


def test_a_chosen_time_is_stored_in_utc_from_warsaw_time(app, db, town):
    client = as_user(app, town.author)
    when = (to_warsaw(utcnow()) + timedelta(days=3)).replace(hour=10, minute=30, second=0, microsecond=0)
    response = post(client, "/admin/campaigns/new/",
                    compose_data(town, send_mode="at", send_at=when.strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 302
    campaign = db.session.query(Campaign).one()
    assert to_warsaw(campaign.send_at).strftime("%H:%M") == "10:30"
    past = post(client, "/admin/campaigns/new/", compose_data(town, send_mode="at", send_at="2020-01-01T10:00"))
    assert "Choose a time in the future." in errors_at(past.get_data(as_text=True), "campaign-send-at")


def test_the_author_cannot_approve_their_own_campaign_another_approver_can(app, db, town, drain):
    from tests.factories import create_staff_user

    campaign = draft(town, author=town.approver)
    workflow.submit(campaign, town.approver)
    author = as_user(app, town.approver)
    details = f"/admin/campaigns/details/?id={campaign.id}"
    html = page(author, details)
    assert 'data-action="approve"' not in html
    assert "another approver approves it" in html
    response = author.post(f"/admin/campaigns/{campaign.id}/approve/", data={"csrf_token": csrf_from(html)})
    html = page(author, response.headers["Location"])
    assert "A campaign is approved by someone other than its author." in html
    db.session.expire_all()
    assert campaign.status == CampaignStatus.SUBMITTED

    other = create_staff_user(roles=("approver",), name="Olga Druga")
    db.session.commit()
    second = as_user(app, other)
    html = page(second, details)
    assert 'data-action="approve"' in html
    response = post(second, f"/admin/campaigns/{campaign.id}/approve/", page_url=details)
    assert "Campaign approved" in page(second, response.headers["Location"])
    drain()
    db.session.expire_all()  # the worker wrote in its own session
    html = page(second, details)
    assert 'data-status="finished"' in html
    assert 'data-figure="total">3<' in html


def test_a_communicator_may_not_approve_nor_reject(app, db, town):
    campaign = draft(town, author=town.approver)
    workflow.submit(campaign, town.approver)
    client = as_user(app, town.author)
    html = page(client, f"/admin/campaigns/details/?id={campaign.id}")
    assert 'data-action="approve"' not in html and 'data-action="reject"' not in html
    token = csrf_from(html)
    assert client.post(f"/admin/campaigns/{campaign.id}/approve/", data={"csrf_token": token}).status_code == 403


def test_rejecting_needs_a_note_which_the_author_then_sees(app, db, town):
    campaign = draft(town)
    workflow.submit(campaign, town.author)
    approver = as_user(app, town.approver)
    details = f"/admin/campaigns/details/?id={campaign.id}"
    response = post(approver, f"/admin/campaigns/{campaign.id}/reject/", {"note": "  "}, page_url=details)
    assert "Say what should change." in page(approver, response.headers["Location"])
    db.session.expire_all()
    assert campaign.status == CampaignStatus.SUBMITTED
    post(approver, f"/admin/campaigns/{campaign.id}/reject/", {"note": "Dodaj godzinę."}, page_url=details)
    html = page(as_user(app, town.author), f"/admin/campaigns/edit/?id={campaign.id}")
    assert "Sent back for changes:" in html and "Dodaj godzinę." in html


def test_pause_resume_and_cancel_buttons(app, db, town):
    campaign = draft(town)
    workflow.submit(campaign, town.author)
    workflow.approve(campaign, town.approver)
    start(campaign.id)  # frozen and fanned out; nothing sent yet (no worker runs)
    client = as_user(app, town.author)
    details = f"/admin/campaigns/details/?id={campaign.id}"
    html = page(client, details)
    assert 'data-status="sending"' in html and 'data-figure="waiting">3<' in html

    response = post(client, f"/admin/campaigns/{campaign.id}/pause/", page_url=details)
    html = page(client, response.headers["Location"])
    assert "The campaign is paused" in html and 'data-status="paused"' in html
    assert 'data-action="resume"' in html and 'data-action="pause"' not in html
    assert "3 messages held" in html  # the history says what the pause did

    response = post(client, f"/admin/campaigns/{campaign.id}/resume/", page_url=details)
    html = page(client, response.headers["Location"])
    assert "The campaign goes on." in html and 'data-status="sending"' in html

    assert "Messages not yet handed to a provider will not be sent." in html  # the confirmation
    response = post(client, f"/admin/campaigns/{campaign.id}/cancel/", page_url=details)
    html = page(client, response.headers["Location"])
    assert "The campaign is cancelled" in html and 'data-status="cancelled"' in html
    assert 'data-figure="cancelled">3<' in html
    assert {m.status for m in messages_of(db, campaign.id).values()} == {"cancelled"}


def test_reschedule_moves_a_scheduled_campaign(app, db, town):
    later = utcnow() + timedelta(days=2)
    campaign = draft(town, send_at=later)
    workflow.submit(campaign, town.author)
    workflow.approve(campaign, town.approver)
    client = as_user(app, town.author)
    details = f"/admin/campaigns/details/?id={campaign.id}"
    new_time = (to_warsaw(utcnow()) + timedelta(days=5)).replace(hour=9, minute=15)
    response = post(client, f"/admin/campaigns/{campaign.id}/reschedule/",
                    {"send_mode": "at", "send_at": new_time.strftime("%Y-%m-%dT%H:%M")}, page_url=details)
    assert new_time.strftime("%d.%m.%Y 09:15") in page(client, response.headers["Location"])
    db.session.expire_all()
    assert to_warsaw(campaign.scheduled_for).strftime("%H:%M") == "09:15"


def test_the_test_send_goes_to_the_user_and_the_page_says_whether_it_shows_the_current_texts(app, db, town):
    campaign = draft(town)
    client = as_user(app, town.author)
    details = f"/admin/campaigns/details/?id={campaign.id}"
    assert 'data-test="none"' in page(client, details)
    response = post(client, f"/admin/campaigns/{campaign.id}/test/", page_url=details)
    html = page(client, response.headers["Location"])
    assert "A test was sent to +48600999001." in html
    assert 'data-test="current"' in html
    workflow.update_draft(campaign, town.author, sms_text="{{ nazwa }}: jarmark w niedzielę.")
    assert 'data-test="outdated"' in page(client, details)


def test_deleting_a_draft(app, db, town):
    campaign = draft(town, name="Do usunięcia")
    client = as_user(app, town.author)
    details = f"/admin/campaigns/details/?id={campaign.id}"
    response = post(client, f"/admin/campaigns/{campaign.id}/delete/", page_url=details)
    assert response.headers["Location"].endswith("/admin/campaigns/")
    assert "The draft “Do usunięcia” was deleted." in page(client, "/admin/campaigns/")
    assert db.session.query(Campaign).count() == 0


def test_the_history_lists_the_audited_steps(app, db, town):
    campaign = draft(town)
    workflow.submit(campaign, town.author)
    workflow.reject(campaign, town.approver, "Za długi tekst.")
    html = page(as_user(app, town.author), f"/admin/campaigns/details/?id={campaign.id}")
    history = html[html.index('data-section="audit"'):]
    assert history.index("created") < history.index("submitted for approval") < history.index("sent back")
    assert "Za długi tekst." in history and town.approver.email in history


def test_submitting_without_an_audience_says_so_at_the_segment(app, db, town):
    client = as_user(app, town.author)
    response = post(client, "/admin/campaigns/new/", compose_data(town, segment_id="", action="submit"))
    assert "Choose a segment or a static list." in errors_at(response.get_data(as_text=True), "campaign-segment")
    assert db.session.query(Campaign).one().status == CampaignStatus.DRAFT


def test_the_pages_render_in_the_default_language(app, db, town, drain):
    """Polish is the default: every page and part renders with the translated texts."""
    campaign = draft(town, channel_mode="both", email_subject="Jarmark", email_text="Zapraszamy {{ nazwa }}.")
    workflow.send_test(campaign, town.author)
    workflow.submit(campaign, town.author)
    workflow.approve(campaign, town.approver)
    drain()
    db.session.expire_all()
    client = app.test_client()
    sign_in(client, town.approver.email)
    for url in ("/admin/campaigns/", "/admin/campaigns/new/", f"/admin/campaigns/details/?id={campaign.id}",
                f"/admin/campaigns/{campaign.id}/live/", "/admin/campaign_templates/",
                "/admin/campaign_templates/new/", "/admin/campaigns/?flt0_0=finished"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'lang="pl"' in response.get_data(as_text=True) or response.is_json

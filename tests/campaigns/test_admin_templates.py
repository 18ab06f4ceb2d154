"""Campaign templates in the admin: writing them, using them, taking them out of use, the API release."""

from __future__ import annotations

from sqlalchemy import select

from app.campaigns.models import Campaign, CampaignTemplate
from app.core.audit import AuditEntry
from tests.campaigns.test_admin import as_user, errors_at, page, post

LIST = "/admin/campaign_templates/"


def template_data(**overrides) -> dict:
    data = {"name": "Zaproszenie na targi", "category": "economic", "description": "Targi wiosenne",
            "channel_mode": "sms", "sms_text": "{{ nazwa }}: zapraszamy na targi.", "email_subject": "",
            "email_text": "", "email_html": ""}
    data.update(overrides)
    return data


def saved_template(db, **overrides) -> CampaignTemplate:
    values = dict(name="Zaproszenie na targi", category="economic", channel_mode="sms",
                  sms_text="{{ nazwa }}: zapraszamy na targi.")
    values.update(overrides)
    template = CampaignTemplate(**values)
    db.session.add(template)
    db.session.commit()
    return template


def test_a_template_with_an_unknown_placeholder_is_not_saved(app, db, town):
    client = as_user(app, town.author)
    response = post(client, f"{LIST}new/", template_data(sms_text="{{ nazwa }} {{ atrybut.BRANŻA }}"))
    html = response.get_data(as_text=True)
    assert "Unknown attribute {{ atrybut.BRANŻA }}. Did you mean {{ atrybut.BRANZA }}?" in errors_at(html, "sms-text")
    assert db.session.scalar(select(CampaignTemplate)) is None
    response = post(client, f"{LIST}new/", template_data())
    assert response.status_code == 302
    html = page(client, LIST)
    assert "Template “Zaproszenie na targi” saved." in html and "Economic news and tenders" in html


def test_using_a_template_makes_a_draft_with_its_texts(app, db, town):
    template = saved_template(db)
    client = as_user(app, town.author)
    response = post(client, f"{LIST}{template.id}/use/", page_url=LIST)
    campaign = db.session.scalar(select(Campaign))
    assert response.headers["Location"].endswith(f"/admin/campaigns/edit/?id={campaign.id}")
    html = page(client, response.headers["Location"])
    assert "A draft was made from the template “Zaproszenie na targi”" in html
    assert "{{ nazwa }}: zapraszamy na targi." in html
    assert (campaign.template_id, campaign.category, campaign.created_by_id) == (template.id, "economic", town.author.id)


def test_a_template_out_of_use_cannot_be_used(app, db, town):
    template = saved_template(db)
    client = as_user(app, town.author)
    response = post(client, f"{LIST}{template.id}/active/0/", page_url=LIST)
    html = page(client, response.headers["Location"])
    assert "is no longer in use" in html and "Use the template Zaproszenie" not in html
    response = post(client, f"{LIST}{template.id}/use/", page_url=LIST)
    assert "is not in use" in page(client, response.headers["Location"])
    assert db.session.scalar(select(Campaign)) is None


def test_only_an_approver_releases_a_template_for_integrations(app, db, town):
    template = saved_template(db)
    communicator = as_user(app, town.author)
    assert "Release for integrations (API)" not in page(communicator, LIST)
    assert post(communicator, f"{LIST}{template.id}/release/", page_url=LIST).status_code == 403

    approver = as_user(app, town.approver)
    response = post(approver, f"{LIST}{template.id}/release/", page_url=LIST)
    html = page(approver, response.headers["Location"])
    assert "is released for integrations" in html and 'data-released="yes"' in html
    db.session.expire_all()
    assert template.api_released_by_id == town.approver.id and template.api_released_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign_template.released"))
    assert entry.actor_label == town.approver.email and entry.target == f"campaign_template:{template.id}"

    response = post(approver, f"{LIST}{template.id}/withdraw-release/", page_url=LIST)
    assert "was withdrawn" in page(approver, response.headers["Location"])
    db.session.expire_all()
    assert template.api_released_at is None


def test_changing_a_released_templates_texts_withdraws_the_release(app, db, town):
    template = saved_template(db, api_released_by_id=town.approver.id)
    from app.core.clock import utcnow

    template.api_released_at = utcnow()
    db.session.commit()
    client = as_user(app, town.author)
    html = page(client, f"{LIST}edit/?id={template.id}")
    assert "Changing the texts withdraws the release" in html
    response = post(client, f"{LIST}edit/?id={template.id}", template_data(sms_text="{{ nazwa }}: targi w maju."))
    assert response.status_code == 302
    db.session.expire_all()
    assert template.sms_text == "{{ nazwa }}: targi w maju." and template.api_released_at is None

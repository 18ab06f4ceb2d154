"""The unsubscribe link of a campaign email: asking first, one click from mail clients, and tampering."""

from __future__ import annotations

from flask_babel import force_locale

from app.accounts.preferences import category_choice
from app.campaigns import fanout, workflow
from app.campaigns.links import personal_link, sign, unsubscribe_link
from app.channels.optouts import is_opted_out


def started(town, category="cultural_event"):
    campaign = workflow.create_draft(town.author, name="Koncert", category=category, channel_mode="email",
                                     email_subject="Koncert", email_text="Zapraszamy.", segment_id=town.segment.id)
    workflow.submit(campaign, town.author)
    workflow.approve(campaign, town.approver)
    fanout.start(campaign.id)
    return campaign


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_opening_the_link_changes_nothing_until_the_business_confirms(db, town, client):
    campaign = started(town)
    bakery = town.people["bakery"]
    url = path_of(unsubscribe_link(campaign.id, bakery.id))
    page = client.get(url)
    assert page.status_code == 200
    assert "piekarnia@firma.pl" in page.get_data(as_text=True)
    assert category_choice(bakery.id, "cultural_event") is None
    answer = client.post(url, data={"scope": "category"})
    assert "nie będzie już otrzymywać" in answer.get_data(as_text=True)
    assert category_choice(bakery.id, "cultural_event").email is False
    assert category_choice(bakery.id, "cultural_event").sms is True
    assert not is_opted_out("email", "piekarnia@firma.pl")


def test_the_whole_address_can_be_unsubscribed(db, town, client):
    campaign = started(town)
    url = path_of(unsubscribe_link(campaign.id, town.people["garage"].id))
    client.post(url, data={"scope": "all"})
    assert is_opted_out("email", "warsztat@firma.pl")


def test_one_click_from_a_mail_client_unsubscribes_from_the_category(db, town, client):
    campaign = started(town)
    url = path_of(unsubscribe_link(campaign.id, town.people["bakery"].id))
    answer = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 204
    assert category_choice(town.people["bakery"].id, "cultural_event").email is False


def test_one_click_on_an_alert_or_other_message_stops_all_non_urgent_email(db, town, client):
    campaign = started(town, category="other")
    url = path_of(unsubscribe_link(campaign.id, town.people["bakery"].id))
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 204
    assert is_opted_out("email", "piekarnia@firma.pl")


def test_an_altered_or_foreign_token_is_not_found(db, town, client):
    campaign = started(town)
    good = unsubscribe_link(campaign.id, town.people["bakery"].id).rsplit("/", 1)[1]
    ids, signature = good.rsplit(".", 1)
    other = town.people["garage"].id
    assert client.get(f"/wypisz/{campaign.id:x}.{other:x}.{signature}").status_code == 404
    assert client.get(f"/wypisz/{sign('portal', campaign.id, other)}").status_code == 404
    assert client.get("/wypisz/zzz").status_code == 404
    assert client.post(f"/wypisz/{ids}.AAAAAAAAAAAA", data={"scope": "all"}).status_code == 404
    assert not is_opted_out("email", "warsztat@firma.pl")


def test_the_personal_link_names_the_business(db, town, client):
    bakery = town.people["bakery"]
    with force_locale("pl"):
        page = client.get(path_of(personal_link(bakery.id)))
    assert page.status_code == 200 and bakery.legacy_id in page.get_data(as_text=True)
    assert client.get(path_of(personal_link(bakery.id)) + "x").status_code == 404

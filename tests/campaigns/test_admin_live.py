"""The compose page's live panels: SMS size and cost for the audience, the email preview, problems."""

from __future__ import annotations

from app.accounts.models import AttributeDefinition
from app.campaigns.models import Campaign
from tests.admin_support import csrf_from
from tests.campaigns.test_admin import as_user, page

LONG_POLISH = ("Szanowni Państwo, zapraszamy na jarmark świąteczny w sobotę na Rynku. Będą stoiska, "
               "gorąca czekolada i kolędy. {{ jednostka }}")


def live(client, kind: str, **fields):
    """Ask a live panel about what the editor holds."""
    token = csrf_from(page(client, "/admin/campaigns/new/"))
    body = {"channel_mode": "sms", "category": "other", **fields}
    return client.post(f"/admin/campaigns/live/{kind}/", json=body, headers={"X-CSRFToken": token})


def test_a_long_polish_sms_is_ucs2_in_two_parts_costed_for_the_audience(app, db, town):
    client = as_user(app, town.author)
    response = live(client, "sms", segment_id=town.segment.id, sms_text=LONG_POLISH)
    assert response.status_code == 200
    answer = response.get_json()
    sms = answer["sms"]
    assert (sms["encoding"], sms["parts"], sms["recipients"]) == ("UCS-2", 2, 3)
    assert sms["cost"] == "0.96" and sms["cost_label"] == "0,96\u00a0zł"  # 3 phones × 2 parts × 0,16 zł
    assert sms["text"].endswith("kolędy. Urząd Miasta")
    plain = answer["transliterated"]
    assert (plain["encoding"], plain["parts"], plain["cost"]) == ("GSM-7", 1, "0.48")
    assert plain["text"].endswith("koledy. Urzad Miasta")
    assert answer["audience"]["members"] == 5 and answer["audience"]["reachable"]["email"] == 3

    sent_plain = live(client, "sms", segment_id=town.segment.id, sms_text=LONG_POLISH,
                      sms_transliterate=True).get_json()["sms"]
    assert (sent_plain["encoding"], sent_plain["parts"]) == ("GSM-7", 1)
    assert db.session.query(Campaign).count() == 0  # the panels never save the draft


def test_the_sms_is_shown_as_the_first_member_by_name_gets_it(app, db, town):
    client = as_user(app, town.author)
    answer = live(client, "sms", segment_id=town.segment.id, sms_text="{{ nazwa }}: jarmark").get_json()
    sample = answer["audience"]["sample"]
    assert sample.startswith("Firma Testowa")  # before "Kwiaciarnia", "Piekarnia", ...
    assert answer["sms"]["text"] == f"{sample}: jarmark"


def test_placeholder_problems_come_back_for_their_field(app, db, town):
    client = as_user(app, town.author)
    answer = live(client, "sms", segment_id=town.segment.id, sms_text="Witaj {{ nazwaa }} {{ atrybut.BRANZ }}").get_json()
    assert answer["sms"] is None
    assert answer["errors"]["sms_text"] == [
        "Unknown placeholder {{ nazwaa }}. Did you mean {{ nazwa }}?",
        "Unknown attribute {{ atrybut.BRANZ }}. Did you mean {{ atrybut.BRANZA }}?",
    ]
    email = live(client, "email", channel_mode="email", email_subject="{{ nazwa",
                 email_text="Dzień dobry").get_json()
    assert email["email"] is None and "email_subject" in email["errors"]


def test_without_an_audience_the_cost_is_for_one_recipient(app, db, town):
    client = as_user(app, town.author)
    answer = live(client, "sms", sms_text="Krótki tekst").get_json()
    assert answer["audience"]["members"] is None and "segment" in answer["audience"]["problem"]
    assert answer["per_recipient"] is True and answer["sms"]["cost"] == "0.16"


def test_the_email_preview_is_the_sample_members_email_for_a_sandboxed_frame(app, db, town):
    client = as_user(app, town.author)
    answer = live(client, "email", channel_mode="both", segment_id=town.segment.id, sms_text="x",
                  email_subject="Jarmark dla {{ nazwa }}",
                  email_text="Dzień dobry,\n\nzapraszamy {{ nazwa }} na jarmark: https://elk.pl/jarmark").get_json()
    email = answer["email"]
    sample = email["sample"]
    assert sample.startswith("Firma Testowa")  # the first member by name
    assert email["subject"] == f"Jarmark dla {sample}"
    assert email["html"].startswith('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'')
    assert '<a href="https://elk.pl/jarmark">' in email["html"] and "/wypisz/" in email["html"]
    assert f"zapraszamy {sample} na jarmark" in email["text"] and "/wypisz/" in email["text"]


def test_the_live_panels_refuse_bad_input_and_missing_csrf(app, db, town):
    client = as_user(app, town.author)
    token = csrf_from(page(client, "/admin/campaigns/new/"))
    bad = client.post("/admin/campaigns/live/sms/", json={"channel_mode": "fax", "segment_id": "x"},
                      headers={"X-CSRFToken": token})
    assert bad.status_code == 400
    assert set(bad.get_json()["errors"]) == {"channel_mode", "segment_id"}
    refused = client.post("/admin/campaigns/live/sms/", json={"sms_text": "x"})
    assert refused.status_code == 400 and "request" in refused.get_json()["errors"]


def test_the_placeholder_list_offers_attribute_codes(app, db, town):
    db.session.get(AttributeDefinition, "BRANZA").label = "Branża"
    db.session.commit()
    html = page(as_user(app, town.author), "/admin/campaigns/new/")
    assert 'data-insert="{{ nazwa }}"' in html and 'data-insert="{{ atrybut.BRANZA }}"' in html
    assert "Branża" in html and 'data-insert="{{ jednostka }}"' in html

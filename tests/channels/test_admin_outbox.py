"""The outbox in the admin: the message list and page, simulated reports, opt-outs and policies."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from app.channels.models import ChannelPolicy, InboundSms, Message, OptOut
from app.channels.outbox import NewMessage, create_messages
from app.channels.sending import send_batch
from app.core.audit import AuditEntry
from tests.admin_support import csrf_from, signed_in
from tests.factories import create_contractor, create_unit

_keys = itertools.count(1)
POLISH_TEXT = (
    "Urząd Miasta Ełk przypomina: termin płatności podatku od nieruchomości mija 15 marca. "
    "Szczegóły w portalu."
)


pytestmark = pytest.mark.usefixtures("daytime")


def sent(db, channel="sms", recipient="600 100 200", body=POLISH_TEXT, **extra) -> Message:
    """A message put into the outbox and sent through the outbox provider."""
    [message_id] = create_messages(
        [NewMessage(channel, recipient, body, "notice", f"admin-test:{next(_keys)}", **extra)]
    )
    db.session.commit()
    send_batch([message_id])
    db.session.expire_all()
    return db.session.get(Message, message_id)


def post_on_page(client, page_url, url, **data):
    token = csrf_from(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_list_shows_the_message_with_its_polish_status_and_formatted_number(client, db):
    signed_in(client, db, "communicator")
    sent(db)
    page = client.get("/admin/messages/").get_data(as_text=True)
    assert "+48 600 100 200" in page
    assert 'data-status="sent"' in page and "wysłana" in page
    assert "Powiadomienie o zmianie konta" in page or "powiadomienie o zmianie konta" in page
    assert "outbox" in page
    counts = page[page.index('data-section="status-counts"') :]
    assert 'data-count="sent"' in counts


def test_status_counts_and_filter_by_status(client, db):
    signed_in(client, db, "communicator")
    delivered = sent(db, recipient="600 100 201")
    sent(db, recipient="600 100 202")
    view_page = f"/admin/messages/details/?id={delivered.id}"
    post_on_page(
        client, view_page, f"/admin/messages/{delivered.id}/simulate-report/", outcome="delivered"
    )
    page = client.get("/admin/messages/").get_data(as_text=True)
    strip = page[
        page.index('data-section="status-counts"') : page.index(
            "</section>", page.index('data-section="status-counts"')
        )
    ]
    assert 'doręczona</span>\n        <strong class="ml-1 text-body">1</strong>' in strip
    filtered = client.get("/admin/messages/?flt0_0=delivered").get_data(as_text=True)
    assert "+48 600 100 201" in filtered and "+48 600 100 202" not in filtered


def test_search_finds_a_phone_however_it_is_typed(client, db):
    signed_in(client, db, "admin")
    sent(db, recipient="600 100 200")
    sent(db, recipient="600 999 888")
    for typed in ("600 100 200", "+48 600-100-200", "0048600100200"):
        page = client.get("/admin/messages/", query_string={"search": typed}).get_data(as_text=True)
        assert "+48 600 100 200" in page and "+48 600 999 888" not in page, typed


def test_details_show_text_encoding_parts_timeline_and_contractor(client, db):
    signed_in(client, db, "communicator")
    contractor = create_contractor(name="Piekarnia Pod Lipami")
    db.session.commit()
    message = sent(db, contractor_id=contractor.id)
    page = client.get(f"/admin/messages/details/?id={message.id}").get_data(as_text=True)
    assert "Urząd Miasta Ełk przypomina" in page
    assert "UCS-2" in page and "2 części SMS" in page
    assert (
        "Piekarnia Pod Lipami" in page and f"/admin/contractors/details/?id={contractor.id}" in page
    )
    timeline = page[page.index('data-section="timeline"') :]
    assert "przyjęta przez operatora" in timeline


def test_email_html_is_shown_only_inside_a_sandboxed_frame(client, db):
    signed_in(client, db, "communicator")
    html = '<p>Witamy</p><script>alert("x")</script><img src="https://tracker.example/p.gif">'
    message = sent(
        db,
        channel="email",
        recipient="biuro@firma.pl",
        body="Witamy (tekst)",
        subject="Nowe przetargi",
        html=html,
    )
    page = client.get(f"/admin/messages/details/?id={message.id}").get_data(as_text=True)
    assert "Nowe przetargi" in page and "Witamy (tekst)" in page
    assert '<iframe sandbox=""' in page
    assert '<script>alert("x")</script>' not in page  # only escaped, inside srcdoc
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "img-src data:" in page  # the frame fetches nothing from outside


def test_simulated_delivery_changes_the_status_shown_and_is_audited(client, db):
    signed_in(client, db, "communicator")
    message = sent(db)
    url = f"/admin/messages/details/?id={message.id}"
    response = post_on_page(
        client, url, f"/admin/messages/{message.id}/simulate-report/", outcome="delivered"
    )
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'data-status="delivered"' in page and "doręczona" in page
    assert "Symulowany raport zapisany" in page
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "message.simulated_report")
    )
    assert entry.actor_id == client.user.id and entry.target == f"message:{message.id}"


def test_simulated_non_delivery_shows_failure_and_a_second_report_changes_nothing(client, db):
    signed_in(client, db, "admin")
    message = sent(db)
    url = f"/admin/messages/details/?id={message.id}"
    post_on_page(client, url, f"/admin/messages/{message.id}/simulate-report/", outcome="failed")
    page = client.get(url).get_data(as_text=True)
    assert "niedoręczona" in page and "simulated non-delivery" in page
    post_on_page(client, url, f"/admin/messages/{message.id}/simulate-report/", outcome="delivered")
    page = client.get(url).get_data(as_text=True)
    assert "Raport niczego nie zmienił" in page
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == "failed"


def test_simulation_is_refused_for_a_real_provider(client, db, create_message):
    signed_in(client, db, "communicator")
    message = create_message(provider="smsapi")
    db.session.commit()
    url = f"/admin/messages/details/?id={message.id}"
    assert "Symuluj doręczenie" not in client.get(url).get_data(as_text=True)
    token = csrf_from(client.get("/admin/optouts/").get_data(as_text=True))
    client.post(
        f"/admin/messages/{message.id}/simulate-report/",
        data={"csrf_token": token, "outcome": "delivered"},
    )
    page = client.get(url).get_data(as_text=True)
    assert "tylko dla wiadomości kanału testowego" in page and "smsapi" in page
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == "sent"


def test_simulated_reply_reaches_the_inbox(client, db):
    signed_in(client, db, "admin")
    message = sent(db)
    url = f"/admin/messages/details/?id={message.id}"
    response = post_on_page(
        client,
        url,
        f"/admin/messages/{message.id}/simulate-reply/",
        text="Czy mogę zapłacić w ratach?",
    )
    assert response.status_code == 302
    inbound = db.session.scalar(select(InboundSms))
    assert inbound.sender == "+48600100200" and inbound.in_reply_to_id == message.id
    page = client.get(url).get_data(as_text=True)
    assert "trafiła do" in page and "Czy mogę zapłacić w ratach?" in page
    thread = client.get(f"/admin/inbox/details/?id={inbound.id}").get_data(as_text=True)
    assert thread.index("Urząd Miasta Ełk przypomina") < thread.index("Czy mogę zapłacić w ratach?")


def test_inbox_role_reads_the_outbox_but_cannot_simulate(client, db):
    message = sent(db)
    signed_in(client, db, "inbox")
    url = f"/admin/messages/details/?id={message.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Symuluj doręczenie" not in page
    token = csrf_from(client.get("/admin/inbox/").get_data(as_text=True))
    response = client.post(
        f"/admin/messages/{message.id}/simulate-report/",
        data={"csrf_token": token, "outcome": "delivered"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("url", ["/admin/messages/", "/admin/optouts/", "/admin/channel_policies/"])
def test_finance_may_not_open_channel_pages(client, db, url):
    signed_in(client, db, "finance")
    assert client.get(url).status_code == 403


def test_strangers_are_sent_to_sign_in(client):
    response = client.get("/admin/messages/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_menu_has_the_channels_category(client, db):
    signed_in(client, db, "communicator")
    page = client.get("/admin/").get_data(as_text=True)
    assert "Kanały" in page and "Wiadomości" in page and "Wypisani" in page and "Skrzynka SMS" in page
    assert "Zasady kanałów" not in page


# --- opt-outs ---


def test_staff_opt_out_a_number_typed_any_way_and_withdraw_it(client, db):
    signed_in(client, db, "communicator")
    response = post_on_page(
        client, "/admin/optouts/", "/admin/optouts/add/", channel="sms", address="600-100-200"
    )
    assert response.status_code == 302
    row = db.session.scalar(select(OptOut))
    assert (row.channel, row.address, row.source) == ("sms", "+48600100200", "staff")
    page = client.get("/admin/optouts/").get_data(as_text=True)
    assert "+48 600 100 200" in page and "nie otrzyma już wiadomości" in page
    assert "600 100 200" in client.get("/admin/optouts/?search=600+100+200").get_data(as_text=True)
    post_on_page(client, "/admin/optouts/", f"/admin/optouts/{row.id}/withdraw/")
    assert db.session.scalar(select(OptOut)) is None
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"channels.opt_out", "channels.opt_in"} <= actions


def test_a_bad_number_is_refused_with_an_error_naming_it(client, db):
    signed_in(client, db, "communicator")
    response = post_on_page(
        client, "/admin/optouts/", "/admin/optouts/add/", channel="sms", address="12345"
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "„12345” nie jest prawidłowym numerem telefonu" in page
    assert 'value="12345"' in page  # kept in the field
    assert db.session.scalar(select(OptOut)) is None


def test_a_bad_email_is_refused_with_an_error_naming_it(client, db):
    signed_in(client, db, "communicator")
    response = post_on_page(
        client, "/admin/optouts/", "/admin/optouts/add/", channel="email", address="biuro@"
    )
    assert "„biuro@” nie jest prawidłowym adresem e-mail" in response.get_data(as_text=True)


# --- channel policies ---


def _policy_form(client, url, **values):
    token = csrf_from(client.get(url).get_data(as_text=True))
    data = {"csrf_token": token, "sms_sender": "", "sms_max_parts": "", "help_text": ""}
    data.update(values)
    return client.post(url, data=data)


def test_admin_creates_a_policy_and_it_is_audited(client, db):
    signed_in(client, db, "admin")
    unit = create_unit(name="Wydział Podatków")
    db.session.commit()
    response = _policy_form(
        client,
        "/admin/channel_policies/new/",
        unit_id=str(unit.id),
        sms_sender="UMElk",
        sms_max_parts="3",
        sms_transliterate="y",
        help_text="Pytania: 87 732 60 00",
    )
    assert response.status_code == 302
    policy = db.session.scalar(select(ChannelPolicy))
    assert (policy.unit_id, policy.sms_sender, policy.sms_max_parts, policy.sms_transliterate) == (
        unit.id,
        "UMElk",
        3,
        True,
    )
    page = client.get("/admin/channel_policies/").get_data(as_text=True)
    assert "Wydział Podatków" in page and "UMElk" in page
    assert db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "channel_policy.created")
    )


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"sms_sender": "Urząd Miasta Ełk"}, "Nazwa nadawcy „Urząd Miasta Ełk” nie może być użyta"),
        ({"sms_max_parts": "11"}, "Wpisz liczbę od 1 do 10"),
        ({"sms_max_parts": "1", "help_text": "Ż" * 71}, "Odpowiedź na POMOC wymaga 2 części SMS"),
    ],
)
def test_policy_validation_names_what_is_wrong(client, db, values, error):
    signed_in(client, db, "admin")
    unit = create_unit()
    db.session.commit()
    response = _policy_form(client, "/admin/channel_policies/new/", unit_id=str(unit.id), **values)
    assert response.status_code == 200
    assert error in response.get_data(as_text=True)
    assert db.session.scalar(select(ChannelPolicy)) is None


def test_a_unit_gets_one_policy_only(client, db):
    signed_in(client, db, "admin")
    unit = create_unit(name="Wydział Jedyny")
    db.session.add(ChannelPolicy(unit_id=unit.id))
    db.session.commit()
    page = client.get("/admin/channel_policies/new/").get_data(as_text=True)
    assert "Wydział Jedyny" not in page


def test_communicator_may_not_open_policies(client, db):
    signed_in(client, db, "communicator")
    assert client.get("/admin/channel_policies/").status_code == 403

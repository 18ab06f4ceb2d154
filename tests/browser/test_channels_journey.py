"""A communicator simulates a recipient's SMS reply; an inbox user reads it and answers it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.broker import broker
from app.channels.models import Message
from app.channels.outbox import NewMessage, create_messages
from app.channels.sending import send_batch
from tests.factories import create_contractor, create_staff_user


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Hasło").fill("haslo-testowe-1")
    page.get_by_role("button", name="Zaloguj się").click()


def _open_menu(page, category: str, entry: str) -> None:
    page.get_by_role("link", name=category).click()
    page.get_by_role("link", name=entry, exact=True).click()


@pytest.mark.browser
def test_simulated_reply_reaches_the_inbox_and_is_answered(
    live_server, browser_page, screenshot, app, db
):
    app.config["QUIET_HOURS"] = "00:00-00:00"
    communicator = create_staff_user(name="Anna Nowak", roles=("communicator",))
    clerk = create_staff_user(name="Piotr Wiśniewski", roles=("inbox",))
    contractor = create_contractor(name="Hotel Pod Ełkiem")
    db.session.commit()
    [message_id] = create_messages(
        [
            NewMessage(
                "sms",
                "600 100 200",
                "Zaproszenie: targi turystyczne w sobotę o 10:00.",
                "campaign",
                "journey:1",
                contractor_id=contractor.id,
                origin="campaign:7",
            )
        ]
    )
    db.session.commit()
    send_batch([message_id])
    page = browser_page

    try:
        _sign_in(page, live_server, communicator.email)
        page.get_by_role("heading", name="Witaj, Anna Nowak").wait_for()
        _open_menu(page, "Kanały", "Wiadomości")
        page.get_by_role("link", name="+48 600 100 200").click()
        page.get_by_text("Zaproszenie: targi turystyczne").wait_for()
        expect(page.locator("[data-section=status]")).to_contain_text("wysłana")
        expect(page.locator("[data-section=sms-size]")).to_contain_text("1 część SMS")
        screenshot("channels-01-message")
        page.get_by_label("Treść odpowiedzi").fill("Czy trzeba się zapisać?")
        page.get_by_role("button", name="Symuluj odpowiedź").click()
        page.get_by_text("Odpowiedź od +48 600 100 200 została odebrana.").wait_for()
        expect(page.locator("[data-section=replies]")).to_contain_text("Czy trzeba się zapisać?")
        page.get_by_role("button", name="Wyloguj").click()

        _sign_in(page, live_server, clerk.email)
        page.get_by_role("heading", name="Witaj, Piotr Wiśniewski").wait_for()
        expect(page.locator("[data-stat=inbox-new]")).to_have_text("1")
        page.get_by_role("link", name="Otwórz skrzynkę SMS").click()
        page.get_by_role("link", name="+48 600 100 200").click()
        thread = page.locator("[data-section=thread]")
        expect(thread).to_contain_text("Zaproszenie: targi turystyczne")
        expect(thread).to_contain_text("Czy trzeba się zapisać?")
        expect(page.locator("[data-section=contractor]")).to_contain_text("Hotel Pod Ełkiem")

        box = page.get_by_label("Twoja odpowiedź")
        box.fill("Nie, wstep wolny. Zapraszamy!")
        counter = page.locator("#reply-counter")
        expect(counter.locator("[data-parts]")).to_have_text("1")
        expect(counter.locator("[data-encoding]")).to_have_text("GSM-7")
        box.fill("Nie, wstęp wolny. Zapraszamy do hali przy ul. Piłsudskiego!")
        expect(counter.locator("[data-encoding]")).to_have_text("UCS-2")
        box.fill("Nie, wstęp wolny. " * 30)
        expect(counter.locator("[data-too-long]")).to_be_visible()
        box.fill("Nie, wstęp wolny. Zapraszamy do hali przy ul. Piłsudskiego!")
        expect(counter.locator("[data-too-long]")).to_be_hidden()
        screenshot("channels-02-inbox-reply")
        page.get_by_role("button", name="Wyślij odpowiedź").click()
        page.get_by_text("Twoja odpowiedź do +48 600 100 200 jest w drodze.").wait_for()
        expect(page.locator("[data-section=status]")).to_contain_text("odpowiedziano")
        screenshot("channels-03-answered")
    finally:
        broker.flush_all()

    db.session.expire_all()
    reply = db.session.scalar(select(Message).where(Message.purpose == "reply"))
    assert reply.recipient == "+48600100200" and reply.body.startswith("Nie, wstęp wolny.")

"""Demo campaign templates and campaigns, so the campaigns pages open on something real."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import CampaignCategory, StaffUser
from app.audiences.models import Segment, StaticList
from app.campaigns import workflow
from app.campaigns.models import Campaign, CampaignTemplate
from app.core.extensions import db
from app.demo.segments import MARKET_LIST

TEMPLATES = (
    dict(name="Zaproszenie na wydarzenie kulturalne", category=CampaignCategory.CULTURAL_EVENT,
         channel_mode="both",
         sms_text="{{ jednostka }}: zapraszamy na [wydarzenie] [data] w [miejsce]. Szczegoly: [adres strony]",
         email_subject="Zaproszenie: [wydarzenie]",
         email_text="Dzień dobry,\n\nzapraszamy {{ nazwa }} na [wydarzenie], [data], [miejsce].\n\n"
                    "Z wyrazami szacunku\n{{ jednostka }}"),
    dict(name="Ogłoszenie przetargu", category=CampaignCategory.ECONOMIC, channel_mode="email",
         email_subject="Nowy przetarg: [przedmiot]",
         email_text="Dzień dobry,\n\nUrząd ogłosił przetarg: [przedmiot]. Oferty do [termin].\n"
                    "Dokumentacja: [adres strony]\n\n{{ jednostka }}"),
    dict(name="Nowe zobowiązania – informacja", category=CampaignCategory.OBLIGATIONS, channel_mode="preferred",
         sms_text="{{ jednostka }}: w portalu czeka nowa decyzja dla {{ nazwa }}. {{ link }}",
         email_subject="Nowa decyzja w portalu",
         email_text="Dzień dobry,\n\nw portalu przedsiębiorcy czeka nowa decyzja dla {{ nazwa }}: {{ link }}\n\n"
                    "{{ jednostka }}"),
    dict(name="Alert – zagrożenie powodziowe", category=CampaignCategory.DISASTER, channel_mode="both",
         sms_text="ALERT {{ jednostka }}: zagrozenie powodziowe na osiedlu {{ osiedle }}. "
                  "Zabezpiecz mienie. Info: 986",
         email_subject="ALERT: zagrożenie powodziowe – {{ osiedle }}",
         email_text="Ostrzeżenie: zagrożenie powodziowe na osiedlu {{ osiedle }}.\n"
                    "Zabezpiecz mienie i śledź komunikaty. Telefon alarmowy: 986."),
)


def ensure_demo_campaigns() -> int:
    """Create the demo templates and two campaigns (one awaiting approval, one approved) if missing."""
    created = 0
    for values in TEMPLATES:
        if db.session.scalar(select(CampaignTemplate.id).where(CampaignTemplate.name == values["name"])) is None:
            db.session.add(CampaignTemplate(**values))
            created += 1
    db.session.flush()
    if db.session.scalar(select(func.count()).select_from(Campaign)):
        return created
    author = _user("komunikacja@demo.elk.pl")
    approver = _user("zatwierdzanie@demo.elk.pl")
    segment = db.session.scalar(select(Segment).order_by(Segment.id))
    market = db.session.scalar(select(StaticList).where(StaticList.name == MARKET_LIST))
    if author is None or approver is None or segment is None:
        return created
    waiting = workflow.create_draft(
        author, name="Jarmark bożonarodzeniowy na placu Ratuszowym", category=CampaignCategory.REGIONAL_EVENT,
        channel_mode="both", segment_id=segment.id,
        sms_text="{{ jednostka }} zaprasza {{ nazwa }} na Jarmark Bozonarodzeniowy 12-14 grudnia, plac Ratuszowy.",
        email_subject="Jarmark bożonarodzeniowy – zaproszenie dla wystawców",
        email_text="Dzień dobry,\n\nzapraszamy {{ nazwa }} do udziału w Jarmarku Bożonarodzeniowym "
                   "12–14 grudnia na placu Ratuszowym.\n\nZgłoszenia do 5 grudnia.")
    workflow.submit(waiting, author)
    created += 1
    if market is not None:
        hours = workflow.create_draft(
            author, name="Zmiana godzin pracy targowiska", category=CampaignCategory.OTHER, channel_mode="sms",
            include_list_ids=[market.id],
            sms_text="Targowisko miejskie od 1 grudnia czynne 7:00-15:00. {{ jednostka }}")
        workflow.submit(hours, author)
        workflow.approve(hours, approver)
        created += 1
    return created


def _user(email: str) -> StaffUser | None:
    return db.session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email))

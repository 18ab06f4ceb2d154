"""Results on the campaign page: figures, the chart, replies, the parts that refresh and the CSV download."""

from __future__ import annotations

import csv
import io

from app.campaigns import workflow
from app.channels.models import InboundSms
from app.core.extensions import db as _db
from tests.campaigns.conftest import business, messages_of
from tests.campaigns.test_admin import as_user, draft, page

FORMULA = '=HYPERLINK("http://zly.example","Kliknij")'


def finished_campaign(town, drain, **values):
    campaign = draft(town, channel_mode="both", email_subject="Jarmark", email_text="Zapraszamy {{ nazwa }}.",
                     **values)
    workflow.submit(campaign, town.author)
    workflow.approve(campaign, town.approver)
    drain()
    _db.session.expire_all()
    return campaign


def test_the_csv_has_one_row_per_message_and_neutralises_formulas(app, db, town, drain):
    business(db, phone="+48600100250", name=FORMULA)
    db.session.commit()
    campaign = finished_campaign(town, drain, name="Jarmark Świąteczny")
    client = as_user(app, town.author)
    response = client.get(f"/admin/campaigns/{campaign.id}/results.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="campaign-{campaign.id}-jarmark-swiateczny-results.csv"')
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # spreadsheets read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    messages = messages_of(db, campaign.id)
    assert len(rows) == len(messages) == 7  # 4 phones and 3 mailboxes of Centrum
    assert sorted(int(r["message_id"]) for r in rows) == sorted(m.id for m in messages.values())
    names = {r["name"] for r in rows}
    assert "'" + FORMULA in names and FORMULA not in names
    history = page(client, f"/admin/campaigns/details/?id={campaign.id}")
    assert "results downloaded" in history[history.index('data-section="audit"'):]


def test_finished_results_show_figures_chart_and_replies(app, db, town, drain):
    campaign = finished_campaign(town, drain)
    sms = messages_of(db, campaign.id)["+48600100200"]
    db.session.add(InboundSms(sender="+48600100200", text="Czy będzie parking?", in_reply_to_id=sms.id))
    db.session.commit()
    html = page(as_user(app, town.author), f"/admin/campaigns/details/?id={campaign.id}")
    assert 'data-status="finished"' in html
    assert 'data-figure="total">6<' in html and 'data-figure="sent">6<' in html
    assert 'data-figure="replied">1<' in html and "Czy będzie parking?" in html
    assert 'data-channel-row="sms"' in html and 'data-channel-row="email"' in html
    assert 'data-figure="cost">0,48' in html  # 3 SMS of one part at 0,16 zł
    assert '<svg class="campaign-chart" role="img" aria-labelledby="chart-title chart-desc"' in html
    summary = html[html.index('data-section="chart-summary"'):][:200]
    assert "6 of 6 messages handed to providers, 0 delivered." in summary, summary
    assert "The figures of the chart as a table" in html
    assert "Download results (CSV)" in html


def test_the_refreshing_parts_come_as_json(app, db, town, drain):
    campaign = draft(town)
    workflow.submit(campaign, town.author)
    client = as_user(app, town.author)
    answer = client.get(f"/admin/campaigns/{campaign.id}/live/").get_json()
    assert answer["status"] == "submitted" and answer["live"] is True  # the author waits for the approval
    workflow.approve(campaign, town.approver)
    answer = client.get(f"/admin/campaigns/{campaign.id}/live/").get_json()
    assert answer["live"] is True and 'data-status="scheduled"' in answer["parts"]["status"]
    assert "Results appear here once sending starts." in answer["parts"]["results"]
    drain()
    db.session.expire_all()
    answer = client.get(f"/admin/campaigns/{campaign.id}/live/").get_json()
    assert answer["status"] == "finished" and answer["live"] is False
    assert 'data-figure="sent">3<' in answer["parts"]["results"]
    assert "finished" in answer["parts"]["audit"]
    assert 'data-action="pause"' not in answer["parts"]["actions"]


def test_the_estimate_at_submission_is_on_the_page(app, db, town):
    campaign = draft(town, sms_text="Szanowni Państwo, zapraszamy na jarmark świąteczny w sobotę na Rynku. "
                                    "Będą stoiska, gorąca czekolada i kolędy.")
    workflow.submit(campaign, town.author)
    html = page(as_user(app, town.approver), f"/admin/campaigns/details/?id={campaign.id}")
    estimate = html[html.index('data-section="estimate"'):]
    assert 'data-estimate="members">5<' in estimate and 'data-estimate="sms">3<' in estimate
    assert "UCS-2, 2 parts" in estimate and 'data-estimate="cost">0,96' in estimate
    assert "no consent to SMS (1)" in estimate

"""The fake SMSAPI and SendGrid servers, driven through the real client libraries.

No Flask app and no database: each test starts its own fake on an ephemeral port.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from python_http_client.exceptions import (
    BadRequestsError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnauthorizedError,
)
from sendgrid import SendGridAPIClient
from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.mail import Mail
from smsapi.client import Client
from smsapi.exception import EndpointException, SendException

from tests.fakes import FakeSendgrid, FakeSmsapi, sms_parts

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token"
API_KEY = "SG.test"


class Receiver:
    """A tiny local webhook endpoint that records what it is sent and answers OK."""

    def __init__(self):
        self.calls: list[dict] = []
        calls = self.calls

        class Handler(BaseHTTPRequestHandler):
            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                calls.append({"method": self.command, "path": self.path,
                              "headers": dict(self.headers), "body": self.rfile.read(length)})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            do_GET = do_POST = _record

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def smsapi():
    with FakeSmsapi(TOKEN) as fake:
        yield fake


@pytest.fixture
def sms_client(smsapi):
    return Client(smsapi.url, access_token=TOKEN)


@pytest.fixture
def sendgrid():
    with FakeSendgrid(API_KEY) as fake:
        yield fake


@pytest.fixture
def mailer(sendgrid):
    return SendGridAPIClient(API_KEY, host=sendgrid.url)


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def mail_body(count: int = 1, **overrides) -> dict:
    body = {
        "personalizations": [
            {"to": [{"email": f"user{n}@example.org"}], "custom_args": {"message_id": str(n)}}
            for n in range(count)
        ],
        "from": {"email": "urzad@gmina.example"},
        "subject": "Przypomnienie",
        "content": [{"type": "text/plain", "value": "Termin płatności mija jutro."}],
    }
    body.update(overrides)
    return body


# SMSAPI


def test_sms_parts_follow_gsm7_and_ucs2_limits():
    assert sms_parts("a" * 160) == 1
    assert sms_parts("a" * 161) == 2
    assert sms_parts("a" * 306) == 2
    assert sms_parts("€" * 80) == 1
    assert sms_parts("€" * 81) == 2
    assert sms_parts("a" * 152 + "€" + "a" * 10) == 2  # the escape pair moves to part two
    assert sms_parts("ż" * 70) == 1
    assert sms_parts("ż" * 71) == 2
    assert sms_parts("ż" * 134) == 2


def test_send_records_each_recipient_with_its_own_params(smsapi, sms_client):
    result = sms_client.sms.send(
        to=["600100200", "+48600100201"], message="Dzień dobry [%1%], termin [%2%]",
        from_="Gmina", idx=["m1", "m2"], check_idx=1, param1=["Anna", "Jan"],
        param2=["1.03", "2.03"], notify_url="http://example.org/dlr",
    )
    assert result.count == 2
    assert [r.number for r in result.results] == ["48600100200", "48600100201"]
    assert [r.submitted_number for r in result.results] == ["600100200", "+48600100201"]
    assert [r.idx for r in result.results] == ["m1", "m2"]
    assert [r.status for r in result.results] == ["QUEUE", "QUEUE"]
    assert [sms.text for sms in smsapi.sent] == [
        "Dzień dobry Anna, termin 1.03", "Dzień dobry Jan, termin 2.03"]
    assert smsapi.by_idx["m2"].sender == "Gmina"
    assert smsapi.by_idx["m2"].notify_url == "http://example.org/dlr"
    assert {r.id for r in result.results} == {sms.id for sms in smsapi.sent}


def test_long_text_is_counted_and_priced_per_part(smsapi, sms_client):
    result = sms_client.sms.send(to="600100200", message="ż" * 100)
    assert result.results[0].parts == 2
    assert result.results[0].points == pytest.approx(0.32)
    with pytest.raises(SendException) as error:
        sms_client.sms.send(to="600100200", message="a" * 161, max_parts=1)
    assert error.value.code == 11


def test_some_invalid_numbers_still_send_the_valid_ones(smsapi, sms_client):
    smsapi.invalid_numbers.add("600100209")
    response = requests.post(smsapi.url + "sms.do", headers={"Authorization": f"Bearer {TOKEN}"},
                             data={"to": "600100200,12345,600100209", "message": "x", "format": "json"})
    body = response.json()
    assert body["count"] == 1
    assert [n["submitted_number"] for n in body["invalid_numbers"]] == ["12345", "600100209"]
    assert [sms.number for sms in smsapi.sent] == ["48600100200"]


def test_no_valid_number_is_error_13_with_the_invalid_numbers(smsapi, sms_client):
    with pytest.raises(SendException) as error:
        sms_client.sms.send(to=["12345", "4860010020"], message="x")
    assert error.value.code == 13
    assert [n.submitted_number for n in error.value.invalid_numbers] == ["12345", "4860010020"]
    assert smsapi.sent == []


def test_a_used_idx_with_check_idx_refuses_the_whole_request(smsapi, sms_client):
    sms_client.sms.send(to="600100200", message="x", idx="m1", check_idx=1)
    with pytest.raises(SendException) as error:
        sms_client.sms.send(to=["600100201", "600100200"], message="x", idx=["m2", "m1"],
                            check_idx=1)
    assert error.value.code == 53
    assert [sms.idx for sms in smsapi.sent] == ["m1"]
    assert smsapi.stats()["refused_duplicates"] == 1


def test_a_wrong_token_is_error_101(smsapi):
    client = Client(smsapi.url, access_token="wrong")
    with pytest.raises(SendException) as error:
        client.sms.send(to="600100200", message="x")
    assert error.value.code == 101
    assert smsapi.sent == []


def test_an_injected_body_error_sends_nothing(smsapi, sms_client):
    smsapi.fail_next("error:103")
    with pytest.raises(SendException) as error:
        sms_client.sms.send(to="600100200", message="x")
    assert error.value.code == 103
    assert smsapi.sent == []
    sms_client.sms.send(to="600100200", message="x")
    assert len(smsapi.sent) == 1


@pytest.mark.parametrize("kind, status", [("http429", 429), ("http500", 500), ("http503", 503)])
def test_injected_http_errors_raise_endpoint_exception(smsapi, sms_client, kind, status):
    smsapi.fail_next(kind, retry_after=7)
    with pytest.raises(EndpointException) as error:
        sms_client.sms.send(to="600100200", message="x")
    assert not isinstance(error.value, SendException)
    assert error.value.code == status
    assert smsapi.sent == []


def test_retry_after_is_on_the_wire_though_the_smsapi_client_hides_headers(smsapi):
    smsapi.fail_next("http429", retry_after=7)
    response = requests.post(smsapi.url + "sms.do", headers={"Authorization": f"Bearer {TOKEN}"},
                             data={"to": "600100200", "message": "x"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_an_injected_timeout_makes_the_sms_client_time_out(smsapi, sms_client):
    smsapi.fail_next("timeout")
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        sms_client.sms.send(to="600100200", message="x", timeout=0.2)
    assert time.monotonic() - started < 2
    assert smsapi.sent == []


def test_delivery_reports_are_comma_joined_per_batch(smsapi, sms_client, receiver):
    sms_client.sms.send(to=["600100200", "600100201", "600100202"], message="x",
                        idx=["a", "b", "c"])
    assert smsapi.send_reports(receiver.url, status=404, batch=2) == [200, 200]
    first = parse_qs(urlsplit(receiver.calls[0]["path"]).query)
    assert receiver.calls[0]["method"] == "GET"
    assert first["MsgId"] == [",".join(sms.id for sms in smsapi.sent[:2])]
    assert first["status"] == ["404,404"]
    assert first["to"] == ["48600100200,48600100201"]
    assert first["idx"] == ["a,b"]
    assert len(first["donedate"][0].split(",")) == 2
    assert smsapi.send_reports(receiver.url) == []  # every message already reported


def test_delivery_reports_go_to_each_notify_url(smsapi, sms_client, receiver):
    sms_client.sms.send(to="600100200", message="x", notify_url=receiver.url + "?secret=s")
    assert smsapi.send_reports(None, status="UNDELIVERED") == [200]
    query = parse_qs(urlsplit(receiver.calls[0]["path"]).query)
    assert query["secret"] == ["s"]
    assert query["status"] == ["405"]


def test_inbound_sms_is_posted_as_a_form(smsapi, receiver):
    status, body = smsapi.send_inbound(receiver.url, "48600100200", "TAK", sms_date=1700000000)
    assert (status, body) == (200, "OK")
    form = parse_qs(receiver.calls[0]["body"].decode())
    assert form["sms_from"] == ["48600100200"]
    assert form["sms_text"] == ["TAK"]
    assert form["sms_date"] == ["1700000000"]
    assert set(form) == {"sms_from", "sms_to", "sms_text", "sms_date", "MsgId", "username"}


def test_two_hundred_concurrent_requests_with_latency(sms_client, smsapi):
    smsapi.latency = 0.05
    with ThreadPoolExecutor(200) as pool:
        results = list(pool.map(
            lambda n: sms_client.sms.send(to=f"600{n:06d}", message="x", idx=str(n), check_idx=1),
            range(200)))
    assert all(result.count == 1 for result in results)
    assert smsapi.stats()["accepted"] == smsapi.stats()["distinct"] == 200


def test_control_api_reports_configures_and_resets(smsapi, sms_client):
    sms_client.sms.send(to="600100200", message="x", idx="a")
    sms_client.sms.send(to="600100200", message="x", idx="a")
    stats = requests.get(smsapi.url + "_fake/stats").json()
    assert (stats["requests"], stats["accepted"]) == (2, 2)
    assert (stats["duplicates"], stats["distinct"]) == (1, 1)
    requests.post(smsapi.url + "_fake/config", json={"latency": 0.01}).raise_for_status()
    assert smsapi.latency == 0.01
    requests.post(smsapi.url + "_fake/reset").raise_for_status()
    assert requests.get(smsapi.url + "_fake/stats").json()["accepted"] == 0


# SendGrid


def test_mail_send_records_each_personalization(sendgrid, mailer):
    body = mail_body(2, headers={"List-Unsubscribe": "<mailto:u@gmina.example>"})
    body["personalizations"][1]["subject"] = "Inny temat"
    response = mailer.client.mail.send.post(request_body=body)
    assert response.status_code == 202
    assert response.body == b""
    message_id = response.headers["X-Message-Id"]
    assert len(message_id) == 22
    assert int(response.headers["X-RateLimit-Limit"]) > 0
    assert "X-RateLimit-Remaining" in response.headers and "X-RateLimit-Reset" in response.headers
    first, second = sendgrid.sent
    assert (first.message_id, first.to, first.custom_args) == (
        message_id, ["user0@example.org"], {"message_id": "0"})
    assert (first.subject, second.subject) == ("Przypomnienie", "Inny temat")
    assert first.from_email == "urzad@gmina.example"
    assert first.headers == {"List-Unsubscribe": "<mailto:u@gmina.example>"}
    assert first.content[0]["value"] == "Termin płatności mija jutro."


def test_the_mail_helper_works_too(sendgrid, mailer):
    mailer.send(Mail("urzad@gmina.example", "jan@example.org", "Temat", "Treść"))
    assert sendgrid.sent[0].to == ["jan@example.org"]


def test_a_wrong_api_key_is_401(sendgrid):
    with pytest.raises(UnauthorizedError) as error:
        SendGridAPIClient("SG.wrong", host=sendgrid.url).send(mail_body())
    assert "authorization grant is invalid" in error.value.to_dict["errors"][0]["message"]


@pytest.mark.parametrize("body, field", [
    (mail_body(1001), "personalizations"),
    (mail_body(personalizations=[{"to": [{"email": f"u{n}@example.org"} for n in range(501)]}
                                 for _ in range(2)]), "personalizations"),
    (mail_body(personalizations=[]), "personalizations"),
    (mail_body(personalizations=[{"to": []}]), "personalizations.0.to"),
    (mail_body(personalizations=[{"to": [{"email": "not-an-address"}]}]),
     "personalizations.0.to.0.email"),
    (mail_body(subject=None), "subject"),
    (mail_body(content=[]), "content"),
    (mail_body(**{"from": {}}), "from.email"),
    (mail_body(personalizations=[{"to": [{"email": "a@example.org"}],
                                  "custom_args": {"n": 1}}]), "personalizations.0.custom_args"),
    (mail_body(personalizations=[{"to": [{"email": "a@example.org"}],
                                  "custom_args": {"n": "x" * 10_001}}]),
     "personalizations.0.custom_args"),
])
def test_invalid_mail_is_400_naming_the_field(sendgrid, mailer, body, field):
    with pytest.raises(BadRequestsError) as error:
        mailer.client.mail.send.post(request_body=body)
    assert field in [e["field"] for e in error.value.to_dict["errors"]]
    assert sendgrid.sent == []


def test_a_template_needs_no_subject_or_content(sendgrid, mailer):
    body = mail_body(subject=None, content=None, template_id="d-123")
    assert mailer.client.mail.send.post(request_body=body).status_code == 202


def test_injected_429_carries_retry_after_and_rate_limit_headers(sendgrid, mailer):
    sendgrid.fail_next("http429", retry_after=3)
    with pytest.raises(TooManyRequestsError) as error:
        mailer.send(mail_body())
    assert error.value.headers["Retry-After"] == "3"
    assert error.value.headers["X-RateLimit-Remaining"] == "0"
    assert int(error.value.headers["X-RateLimit-Reset"]) >= int(time.time()) + 2
    assert sendgrid.sent == []


def test_injected_503_raises_service_unavailable(sendgrid, mailer):
    sendgrid.fail_next("http503", times=2)
    for _ in range(2):
        with pytest.raises(ServiceUnavailableError):
            mailer.send(mail_body())
    assert mailer.send(mail_body()).status_code == 202


def test_an_injected_timeout_makes_the_mail_client_time_out(sendgrid, mailer):
    sendgrid.fail_next("timeout")
    mailer.client.timeout = 0.2  # children built by attribute access inherit it
    with pytest.raises(TimeoutError):
        mailer.send(mail_body())
    assert sendgrid.sent == []


def test_two_hundred_concurrent_mail_sends_with_latency(sendgrid):
    sendgrid.latency = 0.05
    with ThreadPoolExecutor(200) as pool:
        codes = list(pool.map(
            lambda n: SendGridAPIClient(API_KEY, host=sendgrid.url).send(mail_body()).status_code,
            range(200)))
    assert set(codes) == {202}
    assert sendgrid.stats()["requests"] == 200


def signed(call: dict) -> tuple[str, str, str]:
    return (call["body"].decode(), call["headers"]["X-Twilio-Email-Event-Webhook-Signature"],
            call["headers"]["X-Twilio-Email-Event-Webhook-Timestamp"])


def test_events_are_signed_so_that_the_sendgrid_helper_verifies_them(sendgrid, mailer, receiver):
    mailer.send(mail_body(2))
    events = sendgrid.events_for("delivered")
    assert sendgrid.post_events(receiver.url, events, timestamp=1700000000) == 200
    assert sendgrid.post_events(receiver.url, events, tamper=True) == 200
    genuine, forged = receiver.calls
    body, signature, timestamp = signed(genuine)
    assert timestamp == "1700000000"
    assert genuine["headers"]["Content-Type"] == "application/json"
    assert json.loads(body) == events
    verifier = EventWebhook(sendgrid.public_key)
    assert verifier.verify_signature(body, signature, timestamp)
    assert not verifier.verify_signature(*signed(forged))
    assert not verifier.verify_signature(body, signature, "1700000001")


def test_events_carry_custom_args_and_bounces(sendgrid, mailer):
    sendgrid.bounce_addresses.add("user1@example.org")
    message_id = mailer.send(mail_body(2)).headers["X-Message-Id"]
    delivered, bounced = sendgrid.events_for("delivered")
    assert delivered["event"] == "delivered" and delivered["message_id"] == "0"
    assert delivered["sg_message_id"].startswith(message_id + ".")
    assert bounced["event"] == "bounce" and bounced["message_id"] == "1"
    assert (bounced["type"], bounced["status"]) == ("bounce", "5.1.1") and bounced["reason"]
    assert delivered["sg_event_id"] != bounced["sg_event_id"]
    assert [e["email"] for e in sendgrid.events_for("open", emails=["user0@example.org"])] == [
        "user0@example.org"]


# The runner for the benchmark


def test_runner_prints_its_urls_and_answers_the_control_api():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes", "--latency", "0", "--token", "T"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        announced = json.loads(process.stdout.readline())
        assert announced["smsapi"].endswith("/") and announced["sendgrid_public_key"]
        Client(announced["smsapi"], access_token="T").sms.send(to="600100200", message="x")
        with urllib.request.urlopen(announced["smsapi"] + "_fake/stats", timeout=5) as response:
            assert json.load(response)["accepted"] == 1
        with urllib.request.urlopen(announced["sendgrid"] + "/_fake/stats", timeout=5) as response:
            assert json.load(response)["requests"] == 0
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0

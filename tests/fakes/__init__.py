"""Fake SMSAPI and SendGrid servers that the real client libraries talk to over HTTP.

Used in-process by the tests (`with FakeSmsapi() as fake: ...`) and as a separate process by
the benchmark (`python -m tests.fakes`, driven through the `/_fake/` control API).
"""

from tests.fakes.sendgrid import FakeSendgrid, SentEmail
from tests.fakes.smsapi import FakeSmsapi, SentSms, sms_parts

__all__ = ["FakeSendgrid", "FakeSmsapi", "SentEmail", "SentSms", "sms_parts"]

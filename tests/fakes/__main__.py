"""Run the fakes until SIGTERM/SIGINT: `python -m tests.fakes --latency 0.05`.

Prints one JSON line with their URLs and the SendGrid event public key, then serves.
Przelewy24: set P24_URL to its URL and P24_MERCHANT_ID, P24_API_KEY, P24_CRC as given here.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from tests.fakes.przelewy24 import FakePrzelewy24
from tests.fakes.sendgrid import FakeSendgrid
from tests.fakes.smsapi import FakeSmsapi


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes", description=__doc__)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds slept per request")
    parser.add_argument("--smsapi-port", type=int, default=0)
    parser.add_argument("--sendgrid-port", type=int, default=0)
    parser.add_argument("--token", default="test-token", help="SMSAPI bearer token")
    parser.add_argument("--api-key", default="SG.test", help="SendGrid API key")
    parser.add_argument("--p24-port", type=int, default=0)
    parser.add_argument("--p24-merchant-id", type=int, default=111111)
    parser.add_argument("--p24-api-key", default="p24-test-key")
    parser.add_argument("--p24-crc", default="p24-test-crc")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Start the fakes, announce them on stdout and serve until told to stop."""
    args = parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    smsapi = FakeSmsapi(args.token, args.latency, port=args.smsapi_port).start()
    sendgrid = FakeSendgrid(args.api_key, args.latency, port=args.sendgrid_port).start()
    przelewy24 = FakePrzelewy24(args.p24_merchant_id, args.p24_api_key, args.p24_crc, args.latency,
                                port=args.p24_port).start()
    try:
        print(json.dumps({"smsapi": smsapi.url, "sendgrid": sendgrid.url,
                          "sendgrid_public_key": sendgrid.public_key, "przelewy24": przelewy24.url}),
              flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        smsapi.stop()
        sendgrid.stop()
        przelewy24.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()

"""Run both fakes until SIGTERM/SIGINT: `python -m tests.fakes --latency 0.05`.

Prints one JSON line with their URLs and the SendGrid event public key, then serves.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

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
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Start both fakes, announce them on stdout and serve until told to stop."""
    args = parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    smsapi = FakeSmsapi(args.token, args.latency, port=args.smsapi_port).start()
    sendgrid = FakeSendgrid(args.api_key, args.latency, port=args.sendgrid_port).start()
    try:
        print(json.dumps({"smsapi": smsapi.url, "sendgrid": sendgrid.url,
                          "sendgrid_public_key": sendgrid.public_key}), flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        smsapi.stop()
        sendgrid.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()

"""The dramatiq broker; imported before any actor module.

`REDIS_URL` set: a Redis broker, its keys under `REDIS_NAMESPACE` (default `dramatiq`; a test
run takes its own, so workers of another run on the same Redis never take its tasks). Otherwise a `StubBroker`, consumed by an in-process worker
in the embedded default and by the test fixtures. An unset dramatiq broker would silently
become RabbitMQ, so every tasks module imports this one first.
"""

from __future__ import annotations

import os

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Middleware

#: Queue names, one constant each; every queue must have a consumer (see tests/test_worker.py).
QUEUE_DEFAULT = "default"
QUEUE_IMPORTS = "imports"
QUEUE_MESSAGES = "messages"  # batches of outbox message ids
QUEUE_URGENT = "urgent"  # urgent messages (disaster alerts): a worker of their own goes first
ALL_QUEUES = (QUEUE_URGENT, QUEUE_MESSAGES, QUEUE_DEFAULT, QUEUE_IMPORTS)


class AppContextMiddleware(Middleware):
    """Runs every actor inside the Flask application context of the current app."""

    def __init__(self) -> None:
        self.app = None
        self._contexts: dict[int, object] = {}

    def before_process_message(self, broker, message):  # noqa: D102
        if self.app is None:
            return
        import threading

        context = self.app.app_context()
        context.push()
        self._contexts[threading.get_ident()] = context

    def _pop(self):
        import threading

        context = self._contexts.pop(threading.get_ident(), None)
        if context is not None:
            context.pop()

    def after_process_message(self, broker, message, *, result=None, exception=None):  # noqa: D102
        self._pop()

    def after_skip_message(self, broker, message):  # noqa: D102
        self._pop()


app_context = AppContextMiddleware()


def namespace() -> str:
    """The prefix of the broker's keys in Redis."""
    return os.environ.get("REDIS_NAMESPACE") or "dramatiq"


def _make_broker() -> dramatiq.Broker:
    url = os.environ.get("REDIS_URL")
    if url:
        from dramatiq.brokers.redis import RedisBroker

        broker: dramatiq.Broker = RedisBroker(url=url, namespace=namespace())
    else:
        broker = StubBroker()
        broker.emit_after("process_boot")
    broker.add_middleware(app_context)
    for queue in ALL_QUEUES:
        broker.declare_queue(queue)
    return broker


broker = _make_broker()
dramatiq.set_broker(broker)

"""`flask serve`: the embedded platform in one process (web, worker and scheduler)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


def start_embedded_worker(app):
    """Start an in-process dramatiq worker consuming the stub broker."""
    from dramatiq import Worker

    from app.broker import broker

    worker = Worker(broker, worker_threads=2, worker_timeout=200)
    worker.start()
    return worker


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the platform with the embedded worker and scheduler, printing URLs and logins."""
    from werkzeug.serving import run_simple

    from app.core.scheduler import start_background_scheduler

    app = current_app._get_current_object()
    worker = start_embedded_worker(app) if app.config["EMBEDDED_WORKER"] else None
    scheduler = start_background_scheduler(app) if app.config["EMBEDDED_SCHEDULER"] else None
    base = f"http://{host}:{port}"
    click.echo("")
    click.echo(f"  Panel urzędu (admin):  {base}/admin")
    click.echo(f"  Stan usługi:           {base}/healthz")
    logins = Path(app.instance_path) / "demo-logins.txt"
    if logins.exists():
        for line in logins.read_text(encoding="utf-8").splitlines():
            click.echo(f"  {line}")
    click.echo("")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if worker is not None:
            worker.stop()

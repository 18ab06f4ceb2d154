"""Powiadomienia: notification, campaign and account platform of a city office."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, redirect, request, session, url_for

from app import broker as _broker  # noqa: F401  (the broker is set before any actor exists)
from app.core.config import Config

FEATURES = ("accounts", "legacy", "channels", "audiences", "campaigns", "reminders", "billing_view", "api")


def create_app(config: type | dict[str, Any] | None = None) -> Flask:
    """Build the web application; `config` is a config class or a dict of overrides."""
    from app.core.config import INSTANCE_DIR

    app = Flask(__name__, instance_path=str(INSTANCE_DIR.resolve()))
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    _ensure_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])
    _postgresql_session_settings(app.config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    _init_extensions(app)
    _import_models()
    _import_tasks()
    _register_blueprints(app)
    _register_admin(app)
    _register_commands(app)
    _broker.app_context.app = app
    return app


def _postgresql_session_settings(config) -> None:
    """PostgreSQL connections start without JIT compilation.

    The planner compiles any statement it costs above `jit_above_cost`: an audience's reach
    over 100,000 businesses spent 1.8 s of its 3.5 s compiling, and no statement here runs long
    enough to win it back.
    """
    if not str(config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        return
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args["options"] = " ".join(filter(None, [connect_args.get("options"), "-c jit=off"]))
    options["connect_args"] = connect_args
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _ensure_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite database file, so the embedded default starts anywhere."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _import_models() -> None:
    """Import every model module so the metadata is complete (for Alembic and the admin)."""
    import app.accounts.models  # noqa: F401
    import app.api.models  # noqa: F401
    import app.audiences.models  # noqa: F401
    import app.billing_view.finance_models  # noqa: F401
    import app.billing_view.online_models  # noqa: F401
    import app.campaigns.models  # noqa: F401
    import app.channels.models  # noqa: F401
    import app.core.audit  # noqa: F401
    import app.legacy.models  # noqa: F401
    import app.reminders.models  # noqa: F401
    import app.reminders.staff_models  # noqa: F401


def _import_tasks() -> None:
    """Declare every actor on the broker (the embedded worker and `worker.py` need them all)."""
    import app.campaigns.tasks  # noqa: F401
    import app.channels.portal_mail  # noqa: F401  (sends the portal's verification emails)
    import app.channels.reconcile  # noqa: F401  (registers its periodic job)
    import app.channels.tasks  # noqa: F401
    import app.legacy.inbox  # noqa: F401  (registers its periodic job)
    import app.legacy.tasks  # noqa: F401
    import app.reminders.change_tasks  # noqa: F401  (registers its periodic job and signal receivers)
    import app.reminders.sweep_tasks  # noqa: F401  (registers its periodic job)
    import app.reminders.tasks  # noqa: F401  (payment notices: actors, digest job, signal receivers)


def _select_locale() -> str:
    from flask import current_app, has_request_context

    if not has_request_context():  # a worker, the CLI: the office's language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return session.get("lang") or current_app.config["BABEL_DEFAULT_LOCALE"]


def _init_extensions(app: Flask) -> None:
    from app.core.db import install_commit_hooks, install_sqlite_functions
    from app.core.extensions import babel, csrf, db, limiter, login_manager, ma, migrate
    from app.core.templating import register_filters

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    ma.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    register_filters(app)
    install_commit_hooks()
    install_sqlite_functions()

    from app.accounts.auth import load_user

    login_manager.user_loader(load_user)
    login_manager.login_view = "staff_auth.login"


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _register_blueprints(app: Flask) -> None:
    from app.accounts.auth import bp as staff_auth_bp
    from app.accounts.portal_auth import bp as portal_auth_bp
    from app.api import bp as api_bp
    from app.billing_view.gateways.hooks import bp as payment_hooks_bp
    from app.billing_view.pay import bp as billing_pay_bp
    from app.billing_view.portal import bp as billing_bp
    from app.campaigns.public import bp as campaign_links_bp
    from app.channels.webhooks import bp as hooks_bp
    from app.reminders.portal import bp as reminders_portal_bp

    app.register_blueprint(staff_auth_bp)
    app.register_blueprint(hooks_bp)
    app.register_blueprint(campaign_links_bp)
    app.register_blueprint(portal_auth_bp)
    app.register_blueprint(reminders_portal_bp)
    app.register_blueprint(billing_bp)
    app.register_blueprint(billing_pay_bp)
    app.register_blueprint(payment_hooks_bp)
    app.register_blueprint(api_bp)

    @app.get("/")
    def index():
        """The front page leads staff to the admin."""
        return redirect(url_for("admin.index"))

    @app.get("/healthz")
    def healthz():
        """Liveness probe: answers when the process serves requests and the database answers."""
        from sqlalchemy import text

        from app.core.extensions import db

        db.session.execute(text("SELECT 1"))
        return {"status": "ok"}


def _register_admin(app: Flask) -> None:
    from app.core.admin import create_admin
    from app.reminders.admin_calendar import register_admin as register_deadline_calendar
    from app.reminders.admin_payment_notices import register_admin as register_payment_notices

    admin = create_admin(app)
    register_deadline_calendar(admin)
    register_payment_notices(admin)


def _register_commands(app: Flask) -> None:
    from app.accounts.cli import users_cli
    from app.campaigns.cli import campaigns_cli
    from app.core.cli import serve_command
    from app.core.scheduler import scheduler_command
    from app.demo.cli import demo_cli
    from app.legacy.cli import legacy_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(legacy_cli)
    app.cli.add_command(campaigns_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(serve_command)

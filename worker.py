"""Entry point of the dramatiq worker: `dramatiq worker --queues default imports`.

The broker is configured first (`app.broker`), then the application is built, which imports
every feature's tasks module, so each actor is declared on the right broker and runs inside
the application context.
"""

from app import broker  # noqa: F401  (first: sets the dramatiq broker)
from app import create_app

application = create_app()

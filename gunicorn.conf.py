"""gunicorn settings of the web process: the Procfile's `web` line and `make bench-portal` use them.

Sync workers, two per core (`WEB_CONCURRENCY` overrides): each request goes to whichever worker
is free. Threaded workers with keep-alive pin a connection to one process, and on two cores
under 32 users the obligations list then answered 180 requests per second at p95 130 ms, against
325 at p95 31 ms with sync workers (`make bench-portal`). Sync workers expect a reverse proxy in
front (the one that ends TLS) to buffer slow clients.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1))
worker_class = "sync"
timeout = 60  # a PDF report or an export of a large batch may take a while

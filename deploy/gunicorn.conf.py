"""gunicorn for ILR Coordinator: `gunicorn --config deploy/gunicorn.conf.py`, run from the app's folder
(deploy/systemd/ilr-web.service does). Every value here can be overridden on gunicorn's command line.

Sync workers, each serving one request at a time behind nginx (deploy/nginx/ilr.conf), which buffers slow clients.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the app's folder, for its one log format

from web.request_logs import ACCESS_LOG_FORMAT  # noqa: E402

#: The application factory.
wsgi_app = "app:create_app()"
#: Loopback only: nginx on the same machine is the way in (TLS, HSTS, body limit: deploy/nginx/ilr.conf).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
#: On PostgreSQL, 2 to 4 per core (each holds one database connection while it serves). On SQLite use 1: every
#: request takes the one write lock (models/base.py), so more workers only queue behind it.
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "sync"
#: Each worker builds the app (and opens its own database connections) after the fork.
preload_app = False
#: The longest request (a year's KPI report as .docx) is well inside this; nginx's proxy_read_timeout matches it.
timeout = 60
graceful_timeout = 30
#: A worker is replaced after this many requests (the jitter keeps them from all restarting at once).
max_requests = 2000
max_requests_jitter = 200
#: Long list URLs (several filters) fit; nginx's own header buffers are 8k.
limit_request_line = 8190
#: X-Forwarded-* headers are read by the app alone (ProxyFix, set by PROXY_COUNT): gunicorn believes none itself.
forwarded_allow_ips = "127.0.0.1,::1"
secure_scheme_headers = {}
proc_name = "ilr-coordinator"

# --- logs: to stdout/stderr (the journal, under systemd), and never a query string --------------------------------
accesslog = "-"
errorlog = "-"
loglevel = "info"
#: The path without its query string (`%(U)s`, never `%(r)s` or `%(q)s`: a search carries a patient's name), no
#: referrer and no user agent: the app's one format (web/request_logs.py). Behind nginx the client here is nginx;
#: nginx's own access log names the real client.
access_log_format = ACCESS_LOG_FORMAT

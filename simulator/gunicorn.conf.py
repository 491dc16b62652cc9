"""gunicorn settings for Guanjia Trainer: ``gunicorn -c simulator/gunicorn.conf.py`` (scripts/run.sh does this).

The master loads the app and warms the scoring model once (``preload_app``), then forks the workers:
they share the model's memory copy-on-write instead of loading about 600 MB each, and none of them
waits for it. Environment:

- ``PORT`` (5000) and ``BIND_HOST`` (127.0.0.1; put a reverse proxy in front, see the README)
- ``WEB_CONCURRENCY``: worker processes (default 2, one per core of the reference machine)
- ``GUNICORN_THREADS``: threads per worker (default 4; replies spend most of their time in the model)
- ``TORCH_THREADS``: torch intra-op threads per process (default 1, see ``simulator.warmup``)
- ``GUNICORN_ACCESS_LOG=1``: an access log on stdout
"""

from __future__ import annotations

import gc
import os

import gunicorn.http.wsgi

bind = f"{os.environ.get('BIND_HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
wsgi_app = "simulator:create_app()"
preload_app = True
timeout = 60
graceful_timeout = 30
keepalive = 5
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG") else None
# The model must not be warmed in a thread of the master: a fork in the middle would copy a held lock.
os.environ["GUANJIA_WARMUP"] = "0"
# One BLAS/OpenMP thread per process (read when numpy and torch load, after this file): the workers
# already share the cores, and a forked worker must not inherit a thread pool of the master.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, os.environ.get("TORCH_THREADS") or "1")


_default_headers = gunicorn.http.wsgi.Response.default_headers


def _headers_without_server(self):
    """gunicorn's status and framing lines without its ``Server: gunicorn`` (the app sends ``Server: guanjia``)."""
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


gunicorn.http.wsgi.Response.default_headers = _headers_without_server


def on_starting(server):
    """In the master, after the app is loaded and before any socket is bound: warm the model once."""
    from simulator.warmup import warm_up_scoring

    server.log.info("warming the scoring model before forking workers")
    warm_up_scoring()
    # Move everything loaded so far (the app, the model's Python objects) out of the collector's reach:
    # a collection in a worker would otherwise write to those objects' headers and copy their pages
    # into the worker's private memory (Python's gc.freeze documentation recommends this before fork).
    gc.collect()
    gc.freeze()
    server.log.info("scoring model ready")


def post_fork(server, worker):
    """In each worker: one torch thread, and no database connection inherited from the master."""
    from simulator.extensions import db
    from simulator.warmup import limit_torch_threads

    limit_torch_threads()
    app = server.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)

"""The scoring model's warm-up and the readiness it gives (``/readyz``, issue 14 load and scale).

Under gunicorn (``simulator/gunicorn.conf.py``) the master loads the app and warms the model once,
before it forks the workers, so every worker shares the loaded model copy-on-write and none waits
for it. Under ``flask run`` the warm-up runs in a background thread; ``/readyz`` answers 503 until
it has finished (and starts it if nothing did), so a load balancer sends no trainee to a worker
that would make them wait for the model.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)

_ready = threading.Event()
_started = threading.Lock()
_thread: threading.Thread | None = None


def torch_threads() -> int:
    """Intra-op threads per process: ``TORCH_THREADS``, default 1.

    One thread per worker: the workers already use every core between them, and a forked worker
    must not inherit an OpenMP pool the master started (a parallel region after fork can hang).
    """
    return max(1, int(os.environ.get("TORCH_THREADS") or 1))


def limit_torch_threads() -> None:
    """Apply :func:`torch_threads` to this process: to torch if it is loaded, else to its environment."""
    os.environ.setdefault("OMP_NUM_THREADS", str(torch_threads()))
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(torch_threads())


def warm_up_scoring(*, scenario_nodes: bool | None = None) -> None:
    """Load the encoder and the learned scorer and score one reply per rubric, in this thread.

    Args:
        scenario_nodes: also score one reference reply at every node of the shipped scenarios, so
            their reference embeddings are cached (in the master, before the fork: shared by all
            workers) and no trainee's first reply at a node pays for encoding them. ``None`` reads
            ``GUANJIA_WARMUP_SCENARIOS`` (default on; ``0`` skips it, about 10 s, e.g. in tests).
    """
    import scoring

    limit_torch_threads()
    scoring.warm_up()
    limit_torch_threads()  # torch is loaded now
    if scenario_nodes is None:
        scenario_nodes = os.environ.get("GUANJIA_WARMUP_SCENARIOS", "1") not in ("0", "false", "no")
    if scenario_nodes:
        import scenarios

        for scenario in scenarios.load_library().values():
            for node in scenario.nodes.values():
                if node.references:
                    scoring.score(node.references[0], node.references, node.rubric)
    _ready.set()


def start_background_warmup() -> bool:
    """Warm up in a daemon thread unless that is done or under way. Returns whether it started one."""
    global _thread
    with _started:
        if _ready.is_set() or (_thread is not None and _thread.is_alive()):
            return False

        def run() -> None:
            try:
                # the rubrics only: the scenario nodes' references are cached on first use in this
                # one process (the full warm-up is for gunicorn's master, shared by its workers)
                warm_up_scoring(scenario_nodes=False)
            except Exception:  # the first reply will load it again and report the error there
                log.exception("scoring warm-up failed")

        _thread = threading.Thread(target=run, name="scoring-warmup", daemon=True)
        _thread.start()
        return True


def scoring_ready() -> bool:
    """Whether this process has the scoring model loaded and warm."""
    return _ready.is_set()

"""The scenario an attempt plays, rebuilt once per content row, and the time limits that apply to it.

Time limits are enforced with the server's clock only. ``PLAY_TIME_SCALE`` (app config, default 1)
multiplies every time limit, so browser tests can shrink a 60 s emergency node to a few seconds
without trusting the browser.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

from flask import current_app

from scenarios import Scenario

from ..models import Attempt, ContentVersion

_CACHE_SIZE = 256
_scenario_cache: OrderedDict[tuple, Scenario] = OrderedDict()
_scenario_lock = Lock()


def _cached(cache_key: tuple, build: Callable[[], Scenario]) -> Scenario:
    """The scenario under ``cache_key``, built (outside the lock) and kept on a miss; least recent evicted."""
    with _scenario_lock:
        cached = _scenario_cache.get(cache_key)
        if cached is not None:
            _scenario_cache.move_to_end(cache_key)
            return cached
    scenario = build()
    with _scenario_lock:
        _scenario_cache[cache_key] = scenario
        while len(_scenario_cache) > _CACHE_SIZE:
            _scenario_cache.popitem(last=False)
    return scenario


def scenario_of(content: ContentVersion) -> Scenario:
    """Rebuild (once per process and content row) the scenario an attempt plays.

    Content rows never change once written; the key is the row id with the content's key and version,
    so two databases (tests, or a restored backup) whose row ids differ never share an entry.
    """
    return _cached(
        (content.id, content.key, content.version),
        lambda: Scenario.from_dict(content.data, file=content.source_path or content.key),
    )


def attempt_scenario(attempt: Attempt) -> Scenario:
    """The scenario an attempt plays, without loading its content row when it is cached.

    An attempt records its content row id with the scenario's id and version, which identify the
    parsed scenario as well as the row does; only a cache miss reads the row (and its JSON). Every
    reply needs the scenario twice (to score, then to render), so this saves two reads of the
    largest row a reply touches.
    """
    return _cached(
        (attempt.content_id, "attempt", attempt.scenario_key, attempt.scenario_version),
        lambda: scenario_of(attempt.content),
    )


def time_scale() -> float:
    """The factor applied to every time limit (``PLAY_TIME_SCALE``; 1 in production)."""
    scale = float(current_app.config.get("PLAY_TIME_SCALE", 1.0))
    return scale if scale > 0 else 1.0


def effective_limit(scenario: Scenario, node_id: str | None) -> float | None:
    """The real number of seconds the trainee has at a node, or None when it is not timed."""
    if node_id is None:
        return None
    limit = scenario.time_limit_for(node_id)
    return None if limit is None else limit * time_scale()

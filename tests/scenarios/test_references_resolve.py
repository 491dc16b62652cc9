"""A trainee who answers every node with one of its model answers reaches a resolved ending.

Played with the real scorer, once per reference index (the node's first, second and third answer).
This catches model answers the scorer marks down (a fact check that rejects a correct amount, a
blocker that fires on correct advice) and branches that loop a good answer until the turn limit.
"""

from __future__ import annotations

import pytest

import scoring
from scenarios import load_library, start, step

LIBRARY = load_library()


@pytest.fixture(scope="module")
def encoder() -> scoring.Encoder:
    return scoring.get_encoder()


@pytest.mark.parametrize("scenario_id", sorted(LIBRARY))
def test_every_reference_path_resolves(encoder, scenario_id):
    scenario = LIBRARY[scenario_id]
    for index in range(3):
        state = start(scenario, 1)
        path = []
        for _ in range(scenario.max_turns or 12):
            if state.ended:
                break
            node = scenario.nodes[state.node]
            reply = node.references[min(index, len(node.references) - 1)]
            result = scoring.score(reply, node.references, node.rubric, encoder=encoder)
            path.append((state.node, result.score, sorted(result.blocker_ids), [w.id for w in result.wrong_facts]))
            state = step(scenario, state, reply, result, 5.0)
        assert state.ending_kind == "resolved", (index, path)

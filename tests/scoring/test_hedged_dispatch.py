"""The dispatch item accepts a hedged estimate or the speaker's own call-back time (001 3.2.3 asks
only for 「大致的處理時限」), so model answers need not guarantee another team's arrival."""

from __future__ import annotations

import pytest

from scoring import RUBRICS, score
from scoring.train import library_nodes


def test_the_dispatch_item_describes_an_estimate_not_a_guarantee():
    dispatch = next(item for item in RUBRICS["emergency"].items if item.id == "dispatch")
    assert "预计" in dispatch.label
    assert all("马上" not in example for example in dispatch.exemplars)


@pytest.mark.parametrize(
    "reply",
    [
        "请别慌,不要扒门,待在轿厢里。我已经上报主管,维保人员正在赶来,预计十五分钟左右到,我一直陪着您。",
        "请别慌,不要扒门,待在轿厢里。我已经上报主管,维保人员正在赶来,十分钟后我回电告诉您他们到哪了。",
    ],
)
def test_a_hedged_estimate_meets_dispatch_in_full(encoder, reply):
    info = library_nodes()[("elevator-entrapment", "opening")]
    result = score(reply, info.references, info.rubric, encoder=encoder)
    dispatch = [hit for hit in result.hits if hit.item == "dispatch"]
    assert dispatch and dispatch[0].credit == 1.0, result.to_dict()

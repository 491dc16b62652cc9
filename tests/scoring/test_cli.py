"""The JSON Lines CLI: one output line per input, errors per line, exit code 1 on any error."""

from __future__ import annotations

import io
import json

from scoring.cli import run

GOOD = {
    "reply": "非常抱歉,我马上安排维修师傅半小时内上门,修好后回访您。",
    "references": ["非常抱歉,我马上安排师傅上门。"],
    "rubric": "complaint",
}
INLINE = {"reply": "您好,物业客服中心。", "references": [],
          "rubric": {"base": "inquiry", "drop": ["answer"]}}


def _run(command: str, lines: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    code = run(command, io.StringIO("\n".join(lines) + "\n"), out)
    return code, out.getvalue()


def test_score_writes_one_line_per_input_in_order(encoder):
    code, out = _run("score", [json.dumps(GOOD, ensure_ascii=False), json.dumps(INLINE, ensure_ascii=False)])
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert len(rows) == 2
    for key in ("score", "band", "decided_by", "hits", "misses", "blockers"):
        assert key in rows[0]
    assert rows[1]["rubric"] == "inquiry"
    assert "answer" not in {m["item"] for m in rows[1]["misses"]}


def test_bad_lines_get_errors_and_exit_code_1(encoder):
    good = json.dumps(GOOD, ensure_ascii=False)
    lines = ["{not json", good, '{"reply": 3}', "[1]", '{"reply": "好", "rubric": "nope"}']
    code, out = _run("score", lines)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [("error" in r) for r in rows] == [True, False, True, True, True]
    assert "第 1 行" in rows[0]["error"]
    assert "nope" in rows[4]["error"]
    assert 0 <= rows[1]["score"] <= 100


def test_explain_is_readable(encoder):
    code, out = _run("explain", [json.dumps(GOOD, ensure_ascii=False)])
    assert code == 0
    assert "得分" in out and "命中要点" in out and "向业主致歉" in out


def test_explain_names_what_found_a_wrong_fact_and_its_evidence(encoder):
    line = {"reply": "您好,按规定电话报修不受理,您得本人下楼到前台填张单子才行。",
            "scenario": "phone-complaint-transfer", "node": "opening"}
    code, out = _run("explain", [json.dumps(line, ensure_ascii=False)])
    [fact] = [row for row in out.splitlines() if row.strip().startswith("✗")]
    assert code == 0
    assert "按规定电话报修不受理" in fact and "[classifier] " in fact
    assert ":" in fact.split("[classifier] ", 1)[1]  # "<example id>: <labelled wrong statement>"

"""The linter and the command line: every library scenario lints clean; each check catches its case."""

from __future__ import annotations

import subprocess
import sys

import pytest
from scenario_testkit import FIXTURES, SAMPLE, sample_data, write_scenario

from scenarios import LIBRARY_DIR, lint
from scenarios.__main__ import main
from scenarios.linter import shortest_resolved_path
from scenarios.loader import load_scenario

LIBRARY_FILES = sorted(LIBRARY_DIR.glob("*.yaml"))


def test_library_is_not_empty():
    assert len(LIBRARY_FILES) >= 1


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=[path.stem for path in LIBRARY_FILES])
def test_library_scenario_lints_clean(path):
    report = lint(path)
    assert report.ok, "\n".join(map(str, report.problems))


def test_whole_library_lints_clean_and_ids_are_unique():
    report = lint()
    assert report.ok, "\n".join(map(str, report.problems))
    assert len(report.scenarios) == len(report.files) >= len(LIBRARY_FILES)


def test_fixture_lints_clean():
    assert lint(FIXTURES).ok


def _problems(tmp_path, data, **kwargs) -> list[str]:
    write_scenario(tmp_path, data)
    return [str(problem) for problem in lint(tmp_path, **kwargs).problems]


def test_unreachable_node(tmp_path):
    data = sample_data()
    data["nodes"]["orphan"] = data["nodes"]["closing"]
    problems = _problems(tmp_path, data)
    assert any("nodes.orphan: unreachable" in problem for problem in problems), problems


def test_unreachable_ending(tmp_path):
    data = sample_data()
    data["nodes"]["side_question"]["branches"][1]["to"] = "escalated"
    problems = _problems(tmp_path, data)
    assert any("endings.walked_off: unreachable" in problem for problem in problems), problems


def test_node_with_no_way_out_and_no_resolved_path(tmp_path):
    data = sample_data()
    data["nodes"]["closing"]["branches"] = [{"emotion": 0, "to": "side_question"}]
    data["nodes"]["side_question"]["branches"] = [{"emotion": 0, "to": "closing"}]
    problems = _problems(tmp_path, data)
    assert any("nodes.closing: no way out" in problem for problem in problems), problems
    assert any("nodes.side_question: no way out" in problem for problem in problems), problems
    assert any("没有任何路径能在 max_turns=8 轮内到达 kind: resolved" in problem for problem in problems)


def test_resolved_path_too_short(tmp_path):
    data = sample_data()
    data["nodes"]["opening"]["branches"][1]["to"] = "resolved"
    problems = _problems(tmp_path, data)
    assert any("最短的 resolved 路径只有 1 次回复" in problem for problem in problems), problems


def test_resolved_path_must_fit_in_max_turns(tmp_path):
    data = sample_data()
    data["max_turns"] = 2
    problems = _problems(tmp_path, data)
    assert any("max_turns=2" in problem for problem in problems), problems


def test_resolved_path_respects_emotion_escalation():
    data = sample_data()
    data["persona"]["emotion"] = 100
    for node in data["nodes"].values():
        for branch in node["branches"]:
            branch["emotion"] = max(branch["emotion"], 0)  # nothing calms the resident down
    from scenarios import Scenario

    assert shortest_resolved_path(Scenario.from_dict(data)) is None
    assert shortest_resolved_path(load_scenario(SAMPLE)) == ["opening", "details", "closing"]


def test_missing_manual_file(tmp_path):
    data = sample_data()
    data["source"]["file"] = "004_missing.txt"
    problems = _problems(tmp_path, data)
    assert any("source: 找不到手册文件 '004_missing.txt'" in problem for problem in problems), problems


def test_section_not_in_manual(tmp_path):
    data = sample_data()
    data["also_sources"] = [{"file": "000_af49cf313c5ded47.txt", "section": "不存在的章节标题"}]
    problems = _problems(tmp_path, data)
    assert any("also_sources[0]: 章节 '不存在的章节标题'" in problem for problem in problems), problems


@pytest.mark.parametrize("section", ["3.2客戶投訴處理流程", "3.2 客户投诉处理流程", "2.3 电话服务规范"])
def test_traditional_manual_accepts_simplified_citation(tmp_path, section):
    data = sample_data()
    data["also_sources"] = [{"file": "001_a8786d0e8591f2d3.txt", "section": section}]
    assert _problems(tmp_path, data) == []


def test_missing_manuals_dir_is_reported(tmp_path):
    (tmp_path / "lib").mkdir()
    problems = _problems(tmp_path / "lib", sample_data(), manuals_dir=tmp_path / "nowhere")
    assert any("找不到手册文件" in problem for problem in problems)


def test_duplicate_ids_across_files(tmp_path):
    write_scenario(tmp_path, sample_data())
    (tmp_path / "sample-complaint.yml").write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    problems = [str(problem) for problem in lint(tmp_path).problems]
    assert any("重复的场景 id 'sample-complaint'" in problem for problem in problems), problems


def test_schema_errors_from_several_files_are_all_listed(tmp_path, capsys):
    first = sample_data()
    first["difficulty"] = 0
    write_scenario(tmp_path, first)
    second = sample_data()
    second["id"] = "second-one"
    second["nodes"]["details"]["branches"][1]["to"] = "n9"
    write_scenario(tmp_path, second)
    assert main(["lint", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "sample-complaint.yaml: difficulty: 应在 1..3 之间" in out
    assert "second-one.yaml: nodes.details.branches[1].to: unknown node 'n9'" in out
    assert "发现 2 个问题" in out


def test_cli_lint_clean_exit_zero(capsys):
    assert main(["lint", str(FIXTURES)]) == 0
    assert "没有问题" in capsys.readouterr().out


def test_cli_module_entry_point_lints_library():
    completed = subprocess.run(
        [sys.executable, "-m", "scenarios", "lint"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"{len(list(LIBRARY_DIR.glob('*.yaml')))} 个场景" in completed.stdout


def test_cli_show_prints_graph(capsys):
    assert main(["show", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "[opening]" in out and "[side_question]" in out
    assert "2. band∈优秀/良好 hit=apologize  情绪-20 → details" in out
    assert "规则: 情绪到 100 或超过 8 轮 → escalated" in out


def test_cli_unknown_id(capsys):
    assert main(["show", "no-such-scenario"]) == 2
    assert "找不到场景 'no-such-scenario'" in capsys.readouterr().err


def test_cli_diagram_prints_mermaid(capsys):
    assert main(["diagram", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart TD\n")
    assert '-->|"2. band∈优秀/良好 hit=apologize 情绪-20"|' in out


def test_cli_show_invalid_file_reports_problems(tmp_path, capsys):
    data = sample_data()
    data["difficulty"] = 7
    path = write_scenario(tmp_path, data)
    assert main(["show", str(path)]) == 1
    assert "sample-complaint.yaml: difficulty" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("reference", "warned"),
    [
        ("非常抱歉,我已经上报主管,维保人员十五分钟内到,我一直陪着您。", True),
        ("非常抱歉,我已经上报主管,维保人员正在赶来,十五分钟内到,我一直陪着您。", True),
        ("非常抱歉,我已经通知保安马上就到,请您稍等。", True),
        ("非常抱歉,我已经上报主管,维保人员预计十五分钟左右到,我一直陪着您。", False),
        ("非常抱歉,维保人员正在赶来,十分钟后我回电告诉您他们到哪了。", False),
        ("非常抱歉,我已经上报主管,我五分钟内到您家门口。", False),
        ("非常抱歉,我已经上报主管,今天下午三点前我给您回电话。", False),
    ],
)
def test_a_reference_guaranteeing_another_teams_arrival_is_warned(tmp_path, reference, warned):
    data = sample_data()
    data["nodes"]["opening"]["references"][0] = reference
    write_scenario(tmp_path, data)
    report = lint(tmp_path)
    assert report.ok, report.problems  # a warning never fails the lint
    paths = [warning.path for warning in report.warnings]
    assert ("nodes.opening.references[0]" in paths) is warned, paths


def test_warnings_are_printed_but_the_cli_passes(tmp_path, capsys):
    data = sample_data()
    data["nodes"]["opening"]["references"][0] = "非常抱歉,我已经上报主管,师傅十分钟内到。"
    write_scenario(tmp_path, data)
    assert main(["lint", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "[警告]" in out and "预计" in out and "1 个警告" in out


MANUAL_003 = "003_155df04f83bb14c9.txt"


@pytest.mark.parametrize(
    ("citation", "warned"),
    [
        ({"file": MANUAL_003, "section": "灾害天气及突发停电停水客服工作指引"}, True),  # a contents entry only
        ({"file": MANUAL_003, "section": "客户服务篇"}, True),  # a part title followed by contents entries
        ({"file": "002_0eb62db7ee6f7331.txt", "section": "突发事件应对及危机公关意识培养"}, True),
        ({"file": MANUAL_003, "section": "客户服务口诀"}, False),  # in the contents and with its text
        ({"file": MANUAL_003, "section": "触点1:人行出入口"}, False),
        ({"file": "002_0eb62db7ee6f7331.txt", "section": "(四)管家岗位职责"}, False),  # numbered items follow
        ({"general": "通用安全规范"}, False),
    ],
)
def test_a_citation_of_a_heading_without_text_is_warned(tmp_path, citation, warned):
    data = sample_data()
    data["also_sources"] = [citation]
    write_scenario(tmp_path, data)
    report = lint(tmp_path)
    assert report.ok, report.problems
    assert ("also_sources[0]" in [w.path for w in report.warnings]) is warned, report.warnings


def test_a_rubric_blocker_citing_an_empty_heading_is_warned(tmp_path):
    data = sample_data()
    data["nodes"]["opening"]["rubric"] = {
        "base": "complaint",
        "add_blockers": [{"id": "shirk", "reason": "测试", "keywords": ["不管"],
                          "source": {"file": MANUAL_003, "section": "媒体接待与信息报送要领"}}],
    }
    write_scenario(tmp_path, data)
    report = lint(tmp_path)
    assert "nodes.opening.rubric.add_blockers[0].source" in [w.path for w in report.warnings], report.warnings


def test_section_has_text_reads_a_table_of_contents(tmp_path):
    from scenarios.manuals import section_has_text

    (tmp_path / "m.txt").write_text(
        "目录第一篇《甲流程》……3《乙指引》……5第二篇《丙要领》……9正文一、甲流程:先登记,再核实。", encoding="utf-8"
    )
    assert section_has_text("m.txt", "甲流程", tmp_path)  # listed, and has text after 「一、甲流程」
    assert not section_has_text("m.txt", "乙指引", tmp_path)
    assert not section_has_text("m.txt", "《丙要领》", tmp_path)
    assert not section_has_text("m.txt", "第二篇", tmp_path)
    assert section_has_text("m.txt", "目录", tmp_path)


def _fact_rubric(source: dict) -> dict:
    return {
        "base": "complaint",
        "facts": [{"id": "pass_fee", "label": "施工人员出入证 20 元/证,交证退款", "topic": ["出入证"],
                   "accept": ["20", "二十"], "misstatements": ["出入证五十块一张,不退"], "source": source}],
    }


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"file": "002_0eb62db7ee6f7331.txt", "section": "附:装修管理收费标准", "quote": "出入证"}, None),
        # the manual's words with other spacing and punctuation still match
        ({"file": "002_0eb62db7ee6f7331.txt", "section": "附:装修管理收费标准", "quote": "装修 管理收费标准"}, None),
        ({"file": "002_0eb62db7ee6f7331.txt", "section": "附:装修管理收费标准", "quote": "出入证每张一百元"},
         "source.quote: 引文「出入证每张一百元」在 002_0eb62db7ee6f7331.txt 中找不到"),
        ({"file": "002_0eb62db7ee6f7331.txt", "section": "没有这一节"},
         "source: 章节 '没有这一节' 在 002_0eb62db7ee6f7331.txt 中找不到"),
    ],
)
def test_a_fact_citation_is_checked_against_the_manual(tmp_path, source, message):
    data = sample_data()
    data["nodes"]["opening"]["rubric"] = _fact_rubric(source)
    problems = _problems(tmp_path, data)
    if message is None:
        assert problems == []
    else:
        assert any(f"nodes.opening.rubric.facts[0].{message}" in p for p in problems), problems

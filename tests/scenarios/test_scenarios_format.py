"""The scenario format: loading, validation messages with paths, versioning."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from scenario_testkit import SAMPLE, sample_data, write_scenario

from scenarios import Scenario, ValidationError, load_library, load_scenario


def test_sample_loads_with_parsed_fields():
    scenario = load_scenario(SAMPLE)
    assert scenario.id == "sample-complaint"
    assert list(scenario.nodes) == ["opening", "details", "closing", "side_question"]
    assert scenario.persona.emotion == 60
    assert scenario.max_turns == 8
    assert scenario.nodes["details"].rubric == {"base": "complaint", "weights": {"commit_time": 3}}
    first = scenario.nodes["opening"].branches[1]
    assert first.when is not None and first.when.band == ("优秀", "良好") and first.when.hit == ("apologize",)
    assert scenario.nodes["opening"].branches[-1].when is None
    assert scenario.endings["walked_off"].kind == "escalated"
    assert scenario.first_ending("escalated") == "escalated"


def test_default_max_turns_is_twelve():
    data = sample_data()
    del data["max_turns"]
    assert Scenario.from_dict(data).max_turns == 12


def test_version_is_12_hex_stable_and_content_sensitive():
    scenario = load_scenario(SAMPLE)
    assert re.fullmatch(r"[0-9a-f]{12}", scenario.version)
    assert Scenario.from_dict(sample_data()).version == scenario.version
    changed = sample_data()
    changed["nodes"]["closing"]["lines"][0] = "换了一句台词"
    assert Scenario.from_dict(changed).version != scenario.version


def test_version_ignores_yaml_formatting(tmp_path):
    reformatted = write_scenario(tmp_path, sample_data())  # same content, different layout and quoting
    assert reformatted.read_text(encoding="utf-8") != SAMPLE.read_text(encoding="utf-8")
    assert load_scenario(reformatted).version == load_scenario(SAMPLE).version


def test_to_dict_round_trips():
    scenario = load_scenario(SAMPLE)
    again = Scenario.from_dict(scenario.to_dict())
    assert again == scenario
    assert again.to_dict() == scenario.to_dict()
    scenario.validate()


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        keys = path.split(".")
        target: Any = data
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        last = keys[-1]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        keys = path.split(".")
        target: Any = data
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        del target[keys[-1]]

    return mutate


INVALID_CASES = [
    ("unknown branch target", _set("nodes.details.branches.1.to", "n9"),
     "sample-complaint.yaml: nodes.details.branches[1].to: unknown node 'n9'"),
    ("unknown start", _set("start", "nowhere"), "start: unknown node 'nowhere'"),
    ("one line variant", _set("nodes.opening.lines", ["只有一句"]), "nodes.opening.lines: 至少需要 2 条"),
    ("two references", _set("nodes.closing.references", ["一", "二"]),
     "nodes.closing.references: 至少需要 3 条"),
    ("last branch has when", _set("nodes.side_question.branches.1.when", {"band": "合格"}),
     "nodes.side_question.branches[1].when: 最后一个分支不能带 when"),
    ("unknown when key", _set("nodes.opening.branches.1.when", {"mood": 3}),
     "nodes.opening.branches[1].when.mood: 未知字段"),
    ("unknown band", _set("nodes.opening.branches.2.when", {"band": "及格"}),
     "nodes.opening.branches[2].when.band: 未知等级 '及格'"),
    ("hit not in rubric", _set("nodes.opening.branches.1.when", {"hit": ["calm"]}),
     "nodes.opening.branches[1].when.hit: 'calm' 不是本节点评分表的条目"),
    ("unknown blocker", _set("nodes.opening.branches.0.when", {"blocker": ["rudeness"]}),
     "nodes.opening.branches[0].when.blocker: 未知否决项 'rudeness'"),
    ("unknown rubric", _set("nodes.closing.rubric", "complain"), "nodes.closing.rubric:"),
    ("bad rubric drop", _set("nodes.closing.rubric", {"base": "complaint", "drop": ["calm"]}),
     "nodes.closing.rubric.drop[0]: "),
    ("category", _set("category", "repair"), "category: 未知类别 'repair'"),
    ("difficulty", _set("difficulty", 4), "difficulty: 应在 1..3 之间"),
    ("persona emotion", _set("persona.emotion", 120), "persona.emotion: 应在 0..100 之间"),
    ("channel", _set("channel", "微信"), "channel: 未知渠道 '微信'"),
    ("skill", _set("skills", ["listening", "magic"]), "skills[1]: 未知技能标签 'magic'"),
    ("schema version", _set("schema_version", 2), "schema_version: 应为 1"),
    ("missing title", _delete("title"), "title: 缺少必填字段"),
    ("missing source", _delete("source"), "source: 缺少必填字段"),
    ("branch emotion required", _delete("nodes.opening.branches.3.emotion"),
     "nodes.opening.branches[3].emotion: 缺少必填字段"),
    ("emotion delta range", _set("nodes.opening.branches.3.emotion", 150),
     "nodes.opening.branches[3].emotion: 应在 -100..100 之间"),
    ("ending kind", _set("endings.walked_off.kind", "failed"),
     "endings.walked_off.kind: 未知结局类型 'failed'"),
    ("no resolved ending", _set("endings.resolved.kind", "escalated"), "endings: 缺少 kind: resolved 的结局"),
    ("node id format", _set("nodes.Bad Node", {}), "nodes.Bad Node: 节点 id 'Bad Node' 不合规"),
    ("timed node without timeout ending", _set("time_limit_s", 60),
     "nodes.opening: 限时节点需要 on_timeout"),
    ("on_timeout without a limit", _set("nodes.opening.on_timeout", {"emotion": 10, "to": "escalated"}),
     "nodes.opening.on_timeout: 节点没有 time_limit_s"),
    ("unknown top-level key", _set("author", "x"), "author: 未知字段"),
    ("empty when", _set("nodes.opening.branches.2.when", {}), "nodes.opening.branches[2].when: 条件为空"),
]


@pytest.mark.parametrize(("mutate", "expected"), [case[1:] for case in INVALID_CASES],
                         ids=[case[0] for case in INVALID_CASES])
def test_invalid_scenarios_name_file_and_path(tmp_path, mutate, expected):
    data = sample_data()
    mutate(data)
    path = write_scenario(tmp_path, data, stem="sample-complaint")
    with pytest.raises(ValidationError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert expected in message
    assert all(problem.file == "sample-complaint.yaml" for problem in caught.value.problems)


def test_every_problem_is_listed_at_once():
    data = sample_data()
    data["difficulty"] = 9
    data["nodes"]["opening"]["lines"] = ["一句"]
    data["nodes"]["details"]["branches"][1]["to"] = "n9"
    with pytest.raises(ValidationError) as caught:
        Scenario.from_dict(data, file="x.yaml")
    paths = {problem.path for problem in caught.value.problems}
    assert {"difficulty", "nodes.opening.lines", "nodes.details.branches[1].to"} <= paths


def test_id_must_match_file_name(tmp_path):
    path = write_scenario(tmp_path, sample_data(), stem="other-name")
    with pytest.raises(ValidationError, match="id: 'sample-complaint' 与文件名 'other-name' 不一致"):
        load_scenario(path)


def test_duplicate_yaml_keys_are_errors(tmp_path):
    text = SAMPLE.read_text(encoding="utf-8")
    duplicated = text.replace("  closing:\n", "  details:\n    lines: [a, b]\n  closing:\n", 1)
    path = tmp_path / "sample-complaint.yaml"
    path.write_text(duplicated, encoding="utf-8")
    with pytest.raises(ValidationError, match=r"sample-complaint.yaml: line \d+: .*重复的键 'details'"):
        load_scenario(path)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: broken\nnodes: [\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"broken.yaml: line \d+: YAML 语法错误"):
        load_scenario(path)


def test_load_library_is_all_or_nothing(tmp_path):
    write_scenario(tmp_path, sample_data())
    assert list(load_library(tmp_path)) == ["sample-complaint"]
    bad = sample_data()
    bad["id"] = "second"
    bad["category"] = "nonsense"
    write_scenario(tmp_path, bad)
    with pytest.raises(ValidationError, match="second.yaml: category"):
        load_library(tmp_path)


def test_a_source_may_be_general_practice_no_manual_contains():
    from scenarios.model import Scenario

    data = sample_data()
    data["also_sources"] = [{"general": "通用安全规范"}]
    scenario = Scenario.from_dict(data)
    assert scenario.also_sources[0].general == "通用安全规范"
    assert scenario.to_dict()["also_sources"] == [{"general": "通用安全规范"}]
    assert Scenario.from_dict(scenario.to_dict()) == scenario


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"general": "通用安全规范", "file": "002_0eb62db7ee6f7331.txt"}, "不能与 file/section 同时出现"),
        ({"general": ""}, "非空字符串"),
        ({"general": "按照我们物业公司自己内部制定的一整套应急安全操作规范执行"}, "不超过"),
        ({"generic": "通用安全规范"}, "未知字段"),
    ],
)
def test_a_bad_general_source_is_refused_with_its_path(source, message):
    from scenarios.model import Scenario, ValidationError

    data = sample_data()
    data["source"] = source
    with pytest.raises(ValidationError, match=message) as caught:
        Scenario.from_dict(data)
    assert all(problem.path.startswith("source") for problem in caught.value.problems)

"""Programme files: validation with Chinese errors naming file and path, references to real content."""

from __future__ import annotations

import copy

import pytest
import yaml

import quizzes.definitions
import scenarios
from scenarios.manuals import check_source
from simulator.certification.programme import (
    ProgrammeError,
    check_references,
    lint_shipped,
    load_programme,
    load_programmes,
)
from tests.certification.test_evaluate import programme_data
from tests.conftest import shared_path


def write(tmp_path, data, name="test-ladder.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_shipped_programme_loads_and_names_only_existing_content():
    programmes = load_programmes()
    assert programmes, "at least one programme ships"
    assert lint_shipped() == []
    manuals = shared_path("manuals")
    for programme in programmes.values():
        assert len(programme.levels) >= 2
        for level in programme.levels:
            assert level.source is not None, level.id
            assert check_source(level.source.file, level.source.section, manuals) is None


def test_a_valid_file_loads_and_its_version_follows_its_content(tmp_path):
    first = load_programme(write(tmp_path, programme_data()))
    assert [level.name for level in first.levels] == ["前台接待", "管家"]
    changed = load_programme(write(tmp_path, programme_data(complaint_min=80)))
    assert changed.version != first.version
    assert load_programme(write(tmp_path, programme_data())).version == first.version


def _set(data, path, value):
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value


@pytest.mark.parametrize(
    ("path", "value", "where", "reason"),
    [
        (("levels", 0, "validity_months"), 0, "levels[0].validity_months", "不能小于 1"),
        (("levels", 1, "requirements", 1, "kind"), "roleplays", "levels[1].requirements[1]", "kind 只能是"),
        (("levels", 1, "requirements", 1, "category"), "repair", "levels[1].requirements[1].category", "只能是"),
        (("levels", 1, "requirements", 2, "skills"), {"charm": 60}, "levels[1].requirements[2].skills",
         "未知技能 charm"),
        (("levels", 0, "renewal", "requirements"), ["cx", "nope"], "levels[0].renewal.requirements[1]",
         "引用了本级不存在的要求 nope"),
        (("levels", 0, "name"), KeyError, "levels[0].name", "缺少必填项"),
        (("levels", 0, "colour"), "red", "levels[0].colour", "未知字段"),
        (("levels", 0, "requirements", 1, "scenarios"), ["c1"], "levels[0].requirements[1]", "须且只能给出"),
        (("levels", 0, "requirements"), [], "levels[0].requirements", "至少要有一项"),
        (("levels", 1, "id"), "basic", "levels[1].id", "等级 id 重复:basic"),
        (("levels", 1, "requirements", 2, "id"), "em", "levels[1].requirements[2].id", "要求的 id 重复:em"),
    ],
)
def test_invalid_files_fail_with_the_file_and_path(tmp_path, path, value, where, reason):
    data = programme_data()
    _set(data, path, value)
    with pytest.raises(ProgrammeError) as caught:
        load_programme(write(tmp_path, data))
    message = str(caught.value)
    assert f"test-ladder.yaml: {where}: " in message
    assert reason in message


def test_previous_level_on_the_first_level_and_a_wrong_id_are_refused(tmp_path):
    data = programme_data()
    data["levels"][0]["requirements"].append({"id": "prev", "kind": "previous_level"})
    with pytest.raises(ProgrammeError, match=r"levels\[0\]\.requirements\[2\]: 第一级 basic 没有上一级"):
        load_programme(write(tmp_path, data))
    with pytest.raises(ProgrammeError, match="id: 应与文件名一致"):
        load_programme(write(tmp_path, programme_data(), name="other.yaml"))
    bad = tmp_path / "test-ladder.yaml"
    bad.write_text("levels: [\n", encoding="utf-8")
    with pytest.raises(ProgrammeError, match="不是有效的 YAML"):
        load_programme(bad)


def test_an_invalid_file_in_the_folder_loads_nothing(tmp_path):
    write(tmp_path, programme_data())
    broken = copy.deepcopy(programme_data())
    broken["id"] = "broken"
    broken["levels"][0]["validity_months"] = "forever"
    write(tmp_path, broken, name="broken.yaml")
    with pytest.raises(ProgrammeError, match="broken.yaml: levels\\[0\\].validity_months: 应为整数"):
        load_programmes(tmp_path)


def test_references_must_exist_and_higher_levels_need_an_emergency():
    programme = load_programmes()["guanjia"]
    library = {s.id: s.category for s in scenarios.load_library().values()}
    quiz_keys = set(quizzes.definitions.load_definitions())
    assert check_references(programme, library, quiz_keys) == []
    named = next(r for r in programme.levels[-1].requirements if r.kind == "roleplay" and r.scenarios)
    without = {k: v for k, v in library.items() if k != named.scenarios[0]}
    problems = check_references(programme, without, quiz_keys - {"emergency-cert"})
    assert any(f"情景 {named.scenarios[0]} 不存在" in p and "guanjia.yaml: levels[2].requirements[1].scenarios[0]" in p
               for p in problems)
    assert any("测验 emergency-cert 不存在" in p for p in problems)

    data = programme_data()
    data["levels"][1]["requirements"][1]["category"] = "complaint"
    from simulator.certification.programme import Programme

    no_emergency = Programme.from_dict(data)
    problems = check_references(no_emergency, {"c1": "complaint"}, {"q1"})
    assert problems == ["test-ladder.yaml: levels[1]: 第一级以上的等级(管家)至少要求一次应急处置考核演练"]


def test_a_repeated_key_is_refused_naming_the_file_and_line(tmp_path):
    path = write(tmp_path, programme_data())
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "title: 另一个标题\n", encoding="utf-8")  # `title` a second time, at the top level
    with pytest.raises(ProgrammeError) as caught:
        load_programme(path)
    message = str(caught.value)
    assert message.startswith("test-ladder.yaml: 第 ") and "不是有效的 YAML" in message
    assert "重复的键 'title'" in message

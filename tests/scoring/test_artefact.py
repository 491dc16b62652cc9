"""The trained model as an artefact: save and load, versions, corpus validation, corrections."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from scoring import RUBRICS, score_many
from scoring.corpus import CorpusError, Example, load_clauses, load_corpus
from scoring.learn import correction, retrain
from scoring.model import ScorerModel, get_model, node_key
from scoring.rubric import Rubric
from scoring.train import NodeInfo, current_version, default_store, library_nodes, model_version, scenario_documents

NODES = library_nodes()


def test_corpus_covers_every_node_with_valid_labels():
    corpus = load_corpus()
    assert len(corpus) >= 2500
    per_node = {key: 0 for key in NODES}
    for e in corpus:
        assert (e.scenario, e.node) in NODES, e.id
        per_node[(e.scenario, e.node)] += 1
        # a label of an item the node has since dropped (stay_contact in the gas leak) is ignored
        rubric = NODES[(e.scenario, e.node)].rubric
        items = set(rubric.item_ids) | set(RUBRICS[rubric.name].item_ids)
        assert set(e.items) <= items, e.id
    assert min(per_node.values()) >= 15, min(per_node, key=per_node.get)
    assert load_clauses()


def test_a_bad_corpus_line_names_file_and_line(tmp_path):
    good = {"scenario": "s", "node": "n", "reply": "好的", "grade": 2}
    (tmp_path / "x.jsonl").write_text(
        json.dumps(good, ensure_ascii=False) + "\n" + json.dumps({**good, "grade": 7}) + "\n", encoding="utf-8"
    )
    with pytest.raises(CorpusError, match="x.jsonl 第 2 行.*grade"):
        load_corpus(tmp_path)
    (tmp_path / "x.jsonl").write_text(json.dumps({**good, "blockers": {"rude": "好"}}), encoding="utf-8")
    with pytest.raises(CorpusError, match="未知的否决项"):
        load_corpus(tmp_path)


def test_the_saved_model_scores_the_same_after_loading(encoder, tmp_path):
    model = get_model(encoder.name)
    assert model.version == current_version(encoder.name)
    loaded = ScorerModel.load(model.save(tmp_path / "m"))
    info = NODES[("leak-repeated", "opening")]
    items = [("您好,给您添麻烦了,我下午两点前带师傅上门查,查完告诉您。", info.references, info.rubric),
             ("这个我们管不了。", info.references, info.rubric)]
    assert loaded.documents == model.documents and loaded.known_documents
    assert loaded.scenario_documents(info.references) == model.scenario_documents(info.references)
    first = [r.to_dict() for r in score_many(items, encoder=encoder, model=model)]
    second = [r.to_dict() for r in score_many(items, encoder=encoder, model=loaded)]
    assert first == second
    assert first[0]["scorer_version"] == model.version


def test_the_version_follows_the_data(encoder):
    corpus, clauses = load_corpus(), load_clauses()
    base = model_version(corpus, clauses, encoder.name)
    assert base == model_version(list(reversed(corpus)), clauses, encoder.name)
    edited = Example.from_dict({**corpus[0].to_dict(), "grade": (corpus[0].grade + 1) % 4}, id=corpus[0].id)
    assert model_version([edited, *corpus[1:]], clauses, encoder.name) != base
    # an edited scenario node (its references feed the model) is a new version too
    key = next(iter(NODES))
    moved = {**NODES, key: replace(NODES[key], references=(*NODES[key].references, "新增的参考回答"))}
    assert model_version(corpus, clauses, encoder.name, moved) != model_version(corpus, clauses, encoder.name, NODES)


def test_correction_validates_in_chinese():
    with pytest.raises(CorpusError, match="没有情景"):
        correction(reply="好", scenario="nope", node="opening", grade=2, author="t1", nodes=NODES)
    with pytest.raises(CorpusError, match="没有条目"):
        correction(reply="好", scenario="leak-repeated", node="opening", items={"dance": ""}, author="t1", nodes=NODES)
    with pytest.raises(CorpusError, match="等级"):
        correction(reply="好", scenario="leak-repeated", node="opening", author="t1", nodes=NODES)
    blocked = correction(reply="您自己找楼上", scenario="leak-repeated", node="opening", author="t1",
                         blockers={"shirk": "您自己找楼上"}, nodes=NODES)
    assert blocked.grade == 0 and blocked.author == "t1" and blocked.id.startswith("correction:")


def test_retrain_reports_what_changes_and_remembers_the_correction(encoder):
    scenarios = {"leak-repeated", "parking-occupied", "gas-smell-fire-alarm", "phone-fee-inquiry"}
    corpus = [e for e in load_corpus() if e.scenario in scenarios]
    nodes = {k: v for k, v in NODES.items() if k[0] in scenarios}
    store = default_store(encoder)
    base, _ = retrain([], corpus=corpus, nodes=nodes, store=store, base=get_model(encoder.name))
    reply = "王女士,这事我们认,前两回确实没人跟,今天三点前我带人上去看。"
    fix = correction(reply=reply, scenario="leak-repeated", node="opening", grade=3, author="trainer", nodes=nodes)
    model, report = retrain([fix], corpus=corpus, nodes=nodes, store=store, base=base)
    assert report.old_version == base.version != report.new_version == model.version
    assert report.examined == len(corpus) + 1
    assert all(c.old_band != c.new_band for c in report.changed)
    assert set(report.improved) | set(report.worsened) <= set(report.changed)
    assert report.to_dict()["new_version"] == model.version
    info = nodes[("leak-repeated", "opening")]
    for text in (reply, reply.replace("三点", "四点")):
        before, after = (score_many([(text, info.references, info.rubric)], encoder=encoder, model=m)[0]
                         for m in (base, model))
        assert after.decided_by == f"correction:{fix.id}" and after.band == "优秀"
        assert before.decided_by == "model"
    elsewhere = nodes[("parking-occupied", "opening")]
    other = score_many([(reply, elsewhere.references, elsewhere.rubric)], encoder=encoder, model=model)[0]
    assert other.decided_by == "model"  # the correction holds at its own node only


def test_a_scenario_names_its_documents_in_references_and_correct_fact_wordings_only():
    nodes = {
        ("s", "a"): NodeInfo(("请填《甲表》。",), RUBRICS["inquiry"]),
        ("s", "b"): NodeInfo(("好的。",), Rubric.from_spec({"base": "inquiry", "facts": [
            {"id": "f", "label": "要交《乙表》", "topic": ["表"], "says": ["交《丙表》也行"],
             "misstatements": ["交《丁表》就行"]}]})),
        ("t", "a"): NodeInfo(("请带《戊证》。",), RUBRICS["inquiry"]),
    }
    documents = scenario_documents(nodes)
    # every node of a scenario gets the documents of the whole scenario, a misstatement's none
    assert documents[node_key(("请填《甲表》。",))] == documents[node_key(("好的。",))] == ["丙表", "乙表", "甲表"]
    assert documents[node_key(("请带《戊证》。",))] == ["戊证"]

"""The learned scoring pipeline: an ordered list of stages, each recording what decided and why.

For every blocker, in order (the first stage that fires decides):

1. ``rule:<id>``: the must-never-miss rules in ``scoring/data/rules.yaml`` (e.g. 燃气 + 开灯);
2. ``danger:<id>``: a clause close in meaning to one of the node's declared dangers, which the
   ``unsafe`` classifier also reads as advice (not a warning against it);
3. ``node``: a node's own ``add_blockers`` pattern, confirmed by that blocker's classifier;
4. ``classifier``: the clause classifier trained on the labelled corpus and clause bank.

For every rubric item: ``classifier`` (items the corpus labels) → ``exemplar``/``keyword`` (items
no classifier knows: the rubric's own cues) → ``reference`` (answer items matched to a reference) →
missed. Node facts are checked explicitly (``fact:<id>``), so is a document of another scenario's
procedure (``fact:document``), and the ``wrong_fact`` classifier, trained
on the corpus's wrong-fact spans, flags invented rules no node declares (``fact:wrong_fact``).
The score is the grade model's prediction
(fitted on the corpus grades, mapped to 0-100 by :func:`scoring.model.grade_to_score`), capped by the
blockers (any blocker: 不合格) and by a wrong fact (at most 合格). ``decided_by`` names the stage that
set the final score: ``rule:<id>`` / ``blocker:<id>`` / ``fact:<id>`` / ``model`` / ``default``.

Negation and warnings are learned from the corpus's hard negatives (admissions such as
「前两次都没人回您」, warnings such as 「千万别开灯」); no marker list decides them here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from scoring import messages
from scoring.bands import band_for
from scoring.builtin_rubrics import BLOCKER_CATEGORIES, RUBRICS
from scoring.corpus import FACT_LABEL
from scoring.encoder import Encoder
from scoring.features import FIGURES, PreparedReply, prepare, similarity_figures
from scoring.model import ScorerModel, grade_to_score, node_key
from scoring.result import BlockerHit, Hit, Miss, ScoreResult, SemanticMatch, Tone, WrongFact
from scoring.rubric import Blocker, Fact, Item, Rubric
from scoring.text import DOCUMENT, MONEY, clause_contexts, compile_cue, is_negated, normalize

RULES_FILE = Path(__file__).resolve().parent / "data" / "rules.yaml"
# Raw cosine at which a clause counts as close to a node's danger example or an item's exemplar.
DANGER_SIMILARITY = 0.72
EXEMPLAR_SIMILARITY = 0.80
# Probability the blocker's classifier must give a clause a node pattern or danger matched: it has
# to tell advice from a warning against it ("千万别自己抬树" matches the pattern and warns).
CONFIRM_PROBABILITY = 0.5
REFERENCE_PRECISION = 0.62
WRONG_FACT_CAP = 69
_NUMBER = re.compile(
    r"(?:[0-9]+(?:\.[0-9]+)?|[一二两三四五六七八九十百千万]+)\s*(?:元|块|份|张|小时|个?工作日|天|平|%|个)"
)
# A learned blocker (classifier, declared danger) caps the score only when the grade model, which
# reads the whole reply, also finds it weak (grade below 1, i.e. under 合格): a clause classifier alone
# misreads warnings and admissions on scenarios it never saw. Rules, and a node's own patterns marked
# ``always`` (confirmed as advice by the classifier), cap whatever the grade.
CORROBORATE_GRADE = 1.0
ALWAYS_CAP = frozenset({"node:always"})
_ASSERTIVE_TONE = re.compile(r"您|请")


@dataclass(frozen=True, slots=True)
class Rule:
    """A must-never-miss rule: ``pattern`` fires unless ``unless`` occurs earlier in the clause of its
    action, or ``unless_after`` later in it ("自己爬出去特别危险" warns)."""

    id: str
    blocker: str
    reason: str
    pattern: re.Pattern[str]
    unless: re.Pattern[str] | None
    unless_after: re.Pattern[str] | None
    categories: frozenset[str]
    cap: int | None


@lru_cache(maxsize=1)
def load_rules(path: Path = RULES_FILE) -> tuple[Rule, ...]:
    """The rules of ``scoring/data/rules.yaml``."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    rules = []
    for entry in raw:
        rules.append(
            Rule(
                id=entry["id"],
                blocker=entry["blocker"],
                reason=entry["reason"],
                pattern=re.compile(entry["pattern"]),
                unless=re.compile(entry["unless"]) if entry.get("unless") else None,
                unless_after=re.compile(entry["unless_after"]) if entry.get("unless_after") else None,
                categories=frozenset(entry.get("categories", ())),
                cap=entry.get("cap"),
            )
        )
    return tuple(rules)


@dataclass
class Analysis:
    """What the learned stages found in one reply (the inputs of the score)."""

    prepared: PreparedReply
    whole_vec: np.ndarray
    clause_vecs: np.ndarray
    probs: np.ndarray
    label_scores: np.ndarray
    hits: list[Hit]
    misses: list[Miss]
    blockers: list[BlockerHit]
    wrong_facts: list[WrongFact]
    figures: list[float]
    semantic: SemanticMatch
    semantic_refs: tuple[str, ...] = ()


def learned_covers(model: ScorerModel, rubric: Rubric) -> bool:
    """Whether the learned scorer knows this rubric: most of its items have a trained classifier."""
    known = sum(model.has_label(item.id) for item in rubric.items)
    return known * 2 >= len(rubric.items) and known > 0


def encode_references(encoder: Encoder, references: Sequence[str], dim: int) -> tuple:
    """``(references, their embeddings, each one's clause embeddings)`` (empty references dropped)."""
    refs = tuple(r for r in references if r.strip())
    if not refs:
        return refs, np.zeros((0, dim), dtype=np.float32), []
    ref_vecs = encoder.encode_cached(refs)
    return refs, ref_vecs, [encoder.encode_cached(_reference_clauses(r)) for r in refs]


def node_texts(references: Sequence[str], rubric: Rubric) -> list[str]:
    """Every text of a node that :func:`analyse` embeds besides the reply (through ``encode_cached``):
    its references whole and clause by clause, item exemplars, danger examples, the facts' correct
    wordings and misstatements. Training embeds them all in one go (a cold store fills in parallel).
    """
    refs = [r for r in references if r.strip()]
    texts = [*refs, *(c for r in refs for c in _reference_clauses(r))]
    texts += [e for item in rubric.items for e in item.exemplars]
    texts += [e for danger in rubric.dangers for e in danger.examples]
    texts += [*_correct_wordings(rubric.facts), *(m for fact in rubric.facts for m in fact.misstatements)]
    return list(dict.fromkeys(texts))


@lru_cache(maxsize=8192)
def _reference_clauses(reference: str) -> tuple[str, ...]:
    return tuple(prepare(reference).clause_texts) or (reference,)


def analyse(
    model: ScorerModel,
    encoder: Encoder,
    prepared: PreparedReply,
    vectors: np.ndarray,
    references: Sequence[str],
    rubric: Rubric,
    *,
    probs: np.ndarray | None = None,
    encoded_references: tuple | None = None,
) -> Analysis:
    """Run every stage on one prepared reply whose ``[whole, *clauses]`` embeddings are ``vectors``.

    ``probs`` (the clause probabilities) and ``encoded_references`` (from :func:`encode_references`)
    may be passed in when already known, as training does for thousands of replies.
    """
    whole_vec = vectors[0]
    clause_vecs = vectors[1:]
    if probs is None:
        probs = model.probabilities(clause_vecs, prepared.contexts)
    label_scores = probs.max(axis=0)

    # References: the whole reply and each clause against each reference and its clauses.
    refs, ref_vecs, ref_clause_vecs = encoded_references or encode_references(
        encoder, references, whole_vec.shape[0]
    )
    sim_max, sim_mean, recall, precision, best, support = similarity_figures(
        whole_vec, clause_vecs, ref_vecs, ref_clause_vecs
    )
    semantic = (
        SemanticMatch(best, refs[best], round(sim_max, 4), round(encoder.calibrate(sim_max), 4))
        if best >= 0
        else SemanticMatch(-1, "", 0.0, 0.0)
    )

    stated = np.maximum(support, fact_support(encoder, rubric, clause_vecs))
    wrong_facts = _wrong_facts(prepared, rubric, refs)
    wrong_facts += foreign_documents(model, prepared, refs)
    wrong_facts += misstated_facts(model, encoder, rubric, prepared, clause_vecs, probs, stated, wrong_facts)
    wrong_facts += _learned_wrong_facts(model, prepared, clause_vecs, probs, stated, wrong_facts)
    hits, misses = [], []
    for item in rubric.items:
        hit = _item_hit(model, encoder, item, prepared, clause_vecs, probs, precision, wrong_facts)
        if hit is None:
            confidence = float(label_scores[model.column(item.id)]) if model.has_label(item.id) else 0.0
            misses.append(Miss(item.id, item.label, item.skill, round(confidence, 3)))
        else:
            hits.append(hit)
    blockers = _blockers(model, encoder, rubric, prepared, clause_vecs, probs)

    weights = {item.id: item.weight for item in rubric.items}
    total = sum(weights.values()) or 1.0
    coverage = 0.0
    for item in rubric.items:
        if model.has_label(item.id):
            coverage += weights[item.id] * min(1.0, float(label_scores[model.column(item.id)]))
        else:
            coverage += weights[item.id] * next((h.credit for h in hits if h.item == item.id), 0.0)
    hit_share = sum(weights[h.item] * h.credit for h in hits) / total
    category = rubric.category
    figures = [
        sim_max,
        sim_mean,
        recall,
        precision,
        coverage / total,
        hit_share,
        math.log1p(len(prepared.text.strip())),
        len(prepared.clauses) / 10.0,
        1.0 if wrong_facts else 0.0,
        1.0 if category == "complaint" else 0.0,
        1.0 if category == "emergency" else 0.0,
        1.0 if category == "inquiry" else 0.0,
        shirk_on_reference(model, probs, support),
    ]
    assert len(figures) == len(FIGURES)
    return Analysis(
        prepared, whole_vec, clause_vecs, probs, label_scores, hits, misses, blockers, wrong_facts, figures, semantic,
        refs,
    )


def shirk_on_reference(model: ScorerModel, probs: np.ndarray, support: np.ndarray) -> float:
    """How strongly one clause both restates the references and reads as shirking (0 to 1).

    A refusal that reuses the references' words ("原因我们不会去核实,来水时间也不会告诉您") stands on
    their ground, so the similarity figures rate it high; the product of a clause's cosine to the
    reference clauses and its ``shirk`` probability tells the grade model which such clauses turn the
    node's actions down. (Measured on the grouped folds: Spearman 0.881 -> 0.884, hard negatives
    below every good reply 450 -> 454 of 471.)
    """
    if not model.has_label("shirk") or not len(support):
        return 0.0
    return float(np.max(support * probs[:, model.column("shirk")]))


def _evidence(model: ScorerModel, label: str, vector: np.ndarray) -> str:
    found = model.nearest_evidence(label, vector)
    return f"{found.example}: {found.text}" if found else ""


def _span(prepared: PreparedReply, index: int) -> tuple[str, int, int]:
    clause = prepared.clauses[index]
    return prepared.reply[clause.start : clause.end], clause.start, clause.end


def _item_hit(
    model: ScorerModel,
    encoder: Encoder,
    item: Item,
    prepared: PreparedReply,
    clause_vecs: np.ndarray,
    probs: np.ndarray,
    precision: float,
    wrong_facts: list[WrongFact],
) -> Hit | None:
    if model.has_label(item.id):
        column = probs[:, model.column(item.id)]
        index = int(np.argmax(column))
        confidence = float(column[index])
        if confidence < model.threshold(item.id):
            return None
        if wrong_facts and item.skill == "accuracy":
            return None
        span, start, end = _span(prepared, index)
        credit = 1.0 if _requirement_met(model, item, prepared, probs) else 0.5
        return Hit(
            item.id, item.label, item.skill, span, start, end, "classifier", credit, round(confidence, 3),
            _evidence(model, item.id, clause_vecs[index]),
        )
    if item.exemplars:
        sims = clause_vecs @ encoder.encode_cached(item.exemplars).T
        index = int(np.argmax(sims.max(axis=1)))
        best = float(sims[index].max())
        if best >= EXEMPLAR_SIMILARITY:
            span, start, end = _span(prepared, index)
            example = item.exemplars[int(np.argmax(sims[index]))]
            return Hit(item.id, item.label, item.skill, span, start, end, "exemplar", 1.0, round(best, 3),
                       f"exemplar: {example}")
    for cue in item.keywords:
        pattern = compile_cue(cue)
        for _i, clause in enumerate(prepared.clauses):
            match = pattern.search(clause.text)
            if match and match.end() > match.start():
                start, end = clause.start + match.start(), clause.start + match.end()
                return Hit(item.id, item.label, item.skill, prepared.reply[start:end], start, end, "keyword", 1.0,
                           1.0, f"keyword: {cue}")
    if item.from_reference and not wrong_facts and precision >= REFERENCE_PRECISION and len(prepared.clauses):
        span, start, end = _span(prepared, 0)
        return Hit(item.id, item.label, item.skill, span, start, end, "reference", 1.0, round(precision, 3), "")
    return None


_ENFORCE_REQUIREMENTS = [True]


@contextmanager
def requirements_enforced(enforced: bool) -> Iterator[None]:
    """Within the block, learned hits do (or, to measure the first version, do not) check ``requires``."""
    previous = _ENFORCE_REQUIREMENTS[0]
    _ENFORCE_REQUIREMENTS[0] = enforced
    try:
        yield
    finally:
        _ENFORCE_REQUIREMENTS[0] = previous


def _requirement_met(model: ScorerModel, item: Item, prepared: PreparedReply, probs: np.ndarray) -> bool:
    """Whether the reply meets what ``item.requires`` (its full-credit condition) asks for.

    As on the checklist path, a requirement cue in the reply meets it. The learned path also reads
    it the learned way: an item of the built-in rubrics whose cues are exactly these requirement
    cues (the dispatch item requires a time; 告知处理时限 is the item made of the time cue) has a
    classifier trained on the graders' labels, which knows wordings no cue lists ("一刻钟内到",
    "十来分钟"); its firing meets the requirement too. Without either the item counts half.
    """
    if not item.requires or not _ENFORCE_REQUIREMENTS[0]:
        return True
    for cue in item.requires:
        pattern = compile_cue(cue)
        if any(pattern.search(clause.text) for clause in prepared.clauses):
            return True
    for label in _requirement_labels(item.requires):
        if model.has_label(label) and len(probs) and float(probs[:, model.column(label)].max()) >= model.threshold(
            label
        ):
            return True
    return False


@lru_cache(maxsize=64)
def _requirement_labels(requires: tuple[str, ...]) -> tuple[str, ...]:
    """Ids of built-in items whose cues are exactly ``requires`` (they learn the same condition)."""
    return tuple(sorted({i.id for r in RUBRICS.values() for i in r.items if i.keywords == requires}))


def _applies(blocker_id: str, rubric: Rubric, categories: frozenset[str] = frozenset()) -> bool:
    allowed = categories or BLOCKER_CATEGORIES.get(blocker_id)
    return not allowed or rubric.category in allowed


def _standard(rubric: Rubric, blocker_id: str) -> Blocker | None:
    return next((b for b in rubric.blockers if b.id == blocker_id), None)


def _clause_of(prepared: PreparedReply, position: int) -> int:
    for i, clause in enumerate(prepared.clauses):
        if clause.start <= position < clause.end:
            return i
    return 0


def _blockers(
    model: ScorerModel,
    encoder: Encoder,
    rubric: Rubric,
    prepared: PreparedReply,
    clause_vecs: np.ndarray,
    probs: np.ndarray,
) -> list[BlockerHit]:
    found: dict[str, BlockerHit] = {}
    text = prepared.text

    def add(blocker_id: str, reason: str, cap: int | None, index: int, start: int, end: int, stage: str, p: float):
        standard = _standard(rubric, blocker_id)
        if blocker_id in found or standard is None:
            return
        evidence = _evidence(model, blocker_id, clause_vecs[index]) if model.has_label(blocker_id) else ""
        found[blocker_id] = BlockerHit(
            blocker_id, standard.label, reason or standard.reason, prepared.reply[start:end], start, end,
            standard.cap if cap is None else cap, stage, round(p, 3), evidence,
        )

    def prob(blocker_id: str, index: int) -> float:
        return float(probs[index, model.column(blocker_id)]) if model.has_label(blocker_id) else 1.0

    def confirm(blocker_id: str) -> float:
        # A pattern or danger proposes, the blocker's classifier at its own decision threshold disposes.
        return max(CONFIRM_PROBABILITY, model.threshold(blocker_id)) if model.has_label(blocker_id) else 0.0

    # 1. Must-never-miss rules.
    for rule in load_rules():
        if rule.id in rubric.exempt_rules or not _applies(rule.blocker, rubric, rule.categories):
            continue
        for match in rule.pattern.finditer(text):
            action = match.start("act") if "act" in rule.pattern.groupindex else match.start()
            index = _clause_of(prepared, action)
            clause = prepared.clauses[index] if prepared.clauses else None
            before = text[clause.start : action] if clause else ""
            after = text[match.end() : clause.end] if clause else ""
            if rule.unless is not None and rule.unless.search(before):
                continue
            if rule.unless_after is not None and rule.unless_after.search(after):
                continue
            add(rule.blocker, rule.reason, rule.cap, index, match.start(), match.end(), f"rule:{rule.id}", 1.0)
            break

    # 2. The node's declared dangers, in any wording, read as advice by the classifier.
    if rubric.dangers and len(prepared.clauses):
        for danger in rubric.dangers:
            sims = clause_vecs @ encoder.encode_cached(danger.examples).T
            best = sims.max(axis=1)
            for index in np.argsort(-best):
                if best[index] < DANGER_SIMILARITY:
                    break
                p = prob("unsafe", int(index))
                if p >= confirm("unsafe"):
                    clause = prepared.clauses[int(index)]
                    add("unsafe", danger.what, None, int(index), clause.start, clause.end, f"danger:{danger.id}", p)
                    break

    # 3. The node's own patterns, confirmed by the classifier of their blocker. A negation that
    # governs the match ("请千万不要自己动手把树抬开") means the pattern did not match (rubric.py's
    # contract for node blockers), whatever the classifier makes of the clause.
    contexts = clause_contexts(text, list(prepared.clauses)) if rubric.added_blockers else []
    for blocker in rubric.added_blockers:
        for cue in blocker.patterns:
            pattern = compile_cue(cue)
            for index, clause in enumerate(prepared.clauses):
                match = pattern.search(clause.text)
                if match is None or match.end() == match.start():
                    continue
                group = match.lastindex or 0  # a span cue's action is its last group
                if blocker.negatable and is_negated(
                    clause.text, match.start(group), match.end(group),
                    hypothetical=contexts[index].hypothetical, inherited=contexts[index].inherited,
                ):
                    continue
                p = prob(blocker.id, index)
                if blocker.always or p >= confirm(blocker.id):
                    add(blocker.id, blocker.reason, blocker.cap, index, clause.start + match.start(),
                        clause.start + match.end(), "node:always" if blocker.always else "node", p)

    # 4. The trained clause classifiers.
    for blocker in rubric.blockers:
        if not model.has_label(blocker.id) or not _applies(blocker.id, rubric):
            continue
        column = probs[:, model.column(blocker.id)]
        if not len(column):
            continue
        index = int(np.argmax(column))
        if column[index] >= model.threshold(blocker.id):
            clause = prepared.clauses[index]
            add(blocker.id, "", None, index, clause.start, clause.end, "classifier", float(column[index]))
    return list(found.values())


_SPACES = re.compile(r"\s+")
# A reply clause this close to a reference clause restates the references (see _learned_wrong_facts).
# 0.75 and 0.85 compared on the grouped folds: Spearman 0.883 and 0.882, wrong facts above 合格 56/131
# either way (the references' own rules were flagged without it, and a model answer capped at 合格).
FACT_SUPPORTED = 0.75
# The id of a wrong fact :func:`foreign_documents` finds.
DOCUMENT_FACT = "document"
# Raw cosine at which a clause counts as close to a node fact's misstatement (as for dangers), and by
# how much it must be closer to it than to the fact's correct wordings and the references.
MISSTATEMENT_SIMILARITY = 0.72
MISSTATEMENT_MARGIN = 0.03


def _wrong_facts(prepared: PreparedReply, rubric: Rubric, references: Sequence[str]) -> list[WrongFact]:
    """Facts stated wrongly: the node's declared facts, and amounts that no reference states.

    Without declared numbers (facts with ``accept``), an amount of money in the reply that none of
    the references gives, where the references do give amounts, is taken as wrong ("出入证50元"
    against "出入证是20元").
    """
    wrong: list[WrongFact] = []
    ref_money = [m for r in references for m in MONEY.finditer(normalize(r))]
    ref_amounts = {m.group(1) for m in ref_money}
    if ref_amounts and not any(fact.accept for fact in rubric.facts):
        for match in MONEY.finditer(prepared.text):
            if match.group(1) not in ref_amounts:
                span = prepared.reply[match.start() : match.end()]
                stated = sorted({m.group(1) + m.group(3) for m in ref_money})
                label = messages.FACT_REFERENCE_AMOUNT.format(amounts="、".join(stated))
                wrong.append(WrongFact("reference_amount", label, span, match.start(), match.end(), stage="reference"))
                break
    for fact in rubric.facts:
        hit = None
        for example in fact.wrong:
            pos = prepared.text.find(normalize(example))
            if pos >= 0:
                hit = (pos, pos + len(example))
                break
        if hit is None and fact.accept:
            # spacing is not meaning: 「5 元/平方」 states the accepted 「5元」
            accepted = [_SPACES.sub("", normalize(a)) for a in fact.accept]
            for clause in prepared.clauses:
                if not any(normalize(t) in clause.text for t in fact.topic):
                    continue
                compact = _SPACES.sub("", clause.text)
                if any(a in compact for a in accepted):
                    continue
                numbers = [m for m in _NUMBER.finditer(clause.text)]
                if numbers:
                    hit = (clause.start, clause.end)
                    break
        if hit is not None:
            start, end = hit
            wrong.append(WrongFact(fact.id, fact.label, prepared.reply[start:end], start, end))
    return wrong


def foreign_documents(model: ScorerModel, prepared: PreparedReply, references: Sequence[str]) -> list[WrongFact]:
    """A document of another procedure: a 《…》 the library names that the node's scenario never names.

    「交房验收请您填《装修申请表》」 at a handover: the library knows 《装修申请表》 from the
    decoration scenarios, and nothing in the handover scenario (its references, its declared facts'
    correct wordings) names it. A title the library does not know (the trainee's own word for a
    form) is not judged, nor is any title at a node the model does not know (see
    :meth:`scoring.model.ScorerModel.scenario_documents`). The label names the scenario's documents.
    """
    own = model.scenario_documents(references)
    if own is None:
        return []
    for match in DOCUMENT.finditer(prepared.text):
        name = match.group(1).strip()
        if name in model.known_documents and name not in own:
            label = (messages.FACT_DOCUMENTS.format(documents="、".join(f"《{d}》" for d in sorted(own))) if own
                     else messages.FACT_NO_DOCUMENTS)
            span = prepared.reply[match.start() : match.end()]
            return [WrongFact(DOCUMENT_FACT, label, span, match.start(), match.end(), stage="document")]
    return []


def _correct_wordings(facts: Sequence[Fact]) -> tuple[str, ...]:
    """Each fact's label and ``says``, whole and clause by clause."""
    whole = tuple(text for fact in facts for text in (fact.label, *fact.says))
    return whole + tuple(c for text in whole for c in _reference_clauses(text) if c not in whole)


def fact_support(encoder: Encoder, rubric: Rubric, clause_vecs: np.ndarray) -> np.ndarray:
    """Each clause's best cosine to a correct wording of one of the node's declared facts (0 without).

    Like a reference clause, a declared fact's correct wording is the manual's: a clause restating
    it (at ``FACT_SUPPORTED``) is not a wrong statement, whatever shape of rule it has
    ("按规定钥匙得凭委托书原件才能领走"). :func:`fact_scores` reads the larger of the two supports.
    """
    correct = _correct_wordings(rubric.facts)
    if not correct or not len(clause_vecs):
        return np.zeros(len(clause_vecs), dtype=np.float32)
    return (clause_vecs @ encoder.encode_cached(correct).T).max(axis=1)


def misstated_facts(
    model: ScorerModel,
    encoder: Encoder,
    rubric: Rubric,
    prepared: PreparedReply,
    clause_vecs: np.ndarray,
    probs: np.ndarray,
    support: np.ndarray,
    found: Sequence[WrongFact] = (),
) -> list[WrongFact]:
    """Node facts stated wrongly in any wording: a clause close to one of a fact's ``misstatements``.

    The clause must reach ``MISSTATEMENT_SIMILARITY`` to a misstatement and be closer to it, by
    ``MISSTATEMENT_MARGIN``, than to the fact's ``label`` and ``says`` (whole and clause by
    clause, as the references are: 「钥匙只能凭委托书原件给」 is one clause of a long label)
    and every reference clause (``support``): a wrong rule and the right one share their words
    ("验收有问题保证金全扣" / "验收无违规退还"), so only the side the clause leans to
    counts. The sentence embedding does not read negation ("签字不是认可房子没问题" sits
    close to "签了字就表示您认可房子没问题"), so, as for dangers, the learned ``wrong_fact``
    classifier must also read the clause as a wrong statement (:func:`fact_scores` at least
    ``CONFIRM_PROBABILITY``, below its own threshold: the declared misstatement is the other half
    of the evidence). One finding per fact; facts already in ``found`` are not reported twice.
    The evidence is the misstatement it matched.
    """
    facts = [f for f in rubric.facts if f.misstatements and all(w.id != f.id for w in found)]
    if not facts or not len(prepared.clauses) or not model.has_label(FACT_LABEL):
        return []
    confirmed = fact_scores(probs, model.column(FACT_LABEL), support) >= CONFIRM_PROBABILITY
    out: list[WrongFact] = []
    for fact in facts:
        wrong_sims = clause_vecs @ encoder.encode_cached(fact.misstatements).T
        right = (clause_vecs @ encoder.encode_cached(_correct_wordings((fact,))).T).max(axis=1)
        nearest = wrong_sims.argmax(axis=1)
        best = wrong_sims.max(axis=1)
        lean = best - np.maximum(right, support)
        candidates = np.flatnonzero((best >= MISSTATEMENT_SIMILARITY) & (lean >= MISSTATEMENT_MARGIN) & confirmed)
        if not len(candidates):
            continue
        index = int(candidates[np.argmax(best[candidates])])
        clause = prepared.clauses[index]
        out.append(WrongFact(fact.id, fact.label, prepared.reply[clause.start : clause.end], clause.start, clause.end,
                             stage="misstatement", evidence=fact.misstatements[int(nearest[index])]))
    return out


def fact_scores(probs: np.ndarray, column: int, support: np.ndarray) -> np.ndarray:
    """The ``wrong_fact`` probability of each clause, 0 where the clause restates a reference.

    A clause whose cosine to one of the node's reference clauses (``support``) reaches
    ``FACT_SUPPORTED`` states the manual, not an invented rule: the classifier reads the shape of a
    rule ("按规定…要…"), not whether it holds. Training calibrates the threshold on these scores.
    """
    return np.where(support >= FACT_SUPPORTED, 0.0, probs[:, column])


def _learned_wrong_facts(
    model: ScorerModel,
    prepared: PreparedReply,
    clause_vecs: np.ndarray,
    probs: np.ndarray,
    support: np.ndarray,
    found: Sequence[WrongFact] = (),
) -> list[WrongFact]:
    """A clause the ``wrong_fact`` classifier reads as a wrong fact (an invented rule, amount or step).

    Trained on the corpus's wrong-fact spans, it knows no node's facts: it flags the clause most
    like the labelled wrong statements ("按规定经理不接待业主投诉"), with its neighbours that also
    reach the threshold, when its probability (see :func:`fact_scores`) reaches the threshold at
    which at most 2 % of good replies are flagged out of fold (``FACT_GOOD_SHARE`` in
    :mod:`scoring.train`). The evidence is the nearest labelled wrong statement. A clause an earlier
    stage already found (a node fact, which says what the manual says) is not reported again.
    """
    if not model.has_label(FACT_LABEL) or not len(prepared.clauses):
        return []
    column = fact_scores(probs, model.column(FACT_LABEL), support)
    threshold = model.threshold(FACT_LABEL)
    index = int(np.argmax(column))
    if column[index] < threshold:
        return []
    first = last = index
    while first > 0 and column[first - 1] >= threshold:
        first -= 1
    while last + 1 < len(column) and column[last + 1] >= threshold:
        last += 1
    start, end = prepared.clauses[first].start, prepared.clauses[last].end
    if any(fact.start < end and start < fact.end for fact in found):
        return []
    span = prepared.reply[start:end]
    return [WrongFact(FACT_LABEL, messages.FACT_LEARNED, span, start, end, stage="classifier",
                      evidence=_evidence(model, FACT_LABEL, clause_vecs[index]))]


def tone_of(text: str, blockers: list[BlockerHit]) -> Tone:
    """A coarse tone label for the explanation (the score itself comes from the grade model)."""
    if any(b.id == "insult" for b in blockers):
        return Tone(messages.TONE_RUDE, [], [b.span for b in blockers if b.id == "insult"])
    polite = sorted(set(_ASSERTIVE_TONE.findall(text)))
    return Tone(messages.TONE_POLITE if polite else messages.TONE_NEUTRAL, polite, [])


def finish(model: ScorerModel, analysis: Analysis, rubric: Rubric) -> ScoreResult:
    """Turn an analysis into the explained score."""
    row = model.grade_input(analysis.whole_vec, analysis.figures, analysis.label_scores)
    grade = model.predict_grade(row)
    decided_by = "model"
    remembered = model.remembered(node_key(analysis.semantic_refs), analysis.whole_vec) if model.memory_keys else None
    if remembered is not None:
        # A trainer graded (nearly) this reply at this node: their grade stands.
        grade, decided_by = float(remembered[1]), f"correction:{remembered[0]}"
    uncapped = grade_to_score(grade)
    final = uncapped
    if analysis.wrong_facts and final > WRONG_FACT_CAP:
        final, decided_by = WRONG_FACT_CAP, f"fact:{analysis.wrong_facts[0].id}"
    analysis.blockers = [b for b in analysis.blockers if b.stage in ALWAYS_CAP or b.stage.startswith("rule:")
                         or grade < CORROBORATE_GRADE]
    for blocker in sorted(analysis.blockers, key=lambda b: b.cap):
        if blocker.cap < final:
            final = blocker.cap
            decided_by = blocker.stage if blocker.stage.startswith("rule:") else f"blocker:{blocker.id}"
    final = max(0, min(100, final))
    band = band_for(final)
    tone = tone_of(analysis.prepared.text, analysis.blockers)
    feedback = compose_feedback(band, analysis, tone)
    return ScoreResult(
        score=final,
        band=band,
        decided_by=decided_by,
        semantic=analysis.semantic,
        hits=analysis.hits,
        misses=analysis.misses,
        blockers=analysis.blockers,
        tone=tone,
        feedback=feedback,
        rubric=rubric.name,
        scorer_version=model.version,
        grade=round(grade, 3),
        wrong_facts=analysis.wrong_facts,
    )


def compose_feedback(band: str, analysis: Analysis, tone: Tone) -> str:
    """The Chinese feedback paragraph: band, blockers with their reasons, wrong facts, done, missing."""
    parts = [messages.FEEDBACK_BAND[band]]
    for blocker in analysis.blockers:
        parts.append(messages.FEEDBACK_BLOCKER.format(label=blocker.label, span=blocker.span, reason=blocker.reason))
    parts.extend(fact.sentence for fact in analysis.wrong_facts)
    done = [h.label for h in analysis.hits if h.credit >= 1.0]
    if done:
        parts.append(messages.FEEDBACK_DONE.format(items=messages.FEEDBACK_LIST_SEP.join(done)))
    for hit in analysis.hits:
        if hit.credit < 1.0:
            parts.append(messages.FEEDBACK_PARTIAL.format(label=hit.label))
    if analysis.misses:
        missing = messages.FEEDBACK_LIST_SEP.join(m.label for m in analysis.misses)
        parts.append(messages.FEEDBACK_MISSING.format(items=missing))
    if tone.label == messages.TONE_NEUTRAL and not analysis.blockers:
        parts.append(messages.FEEDBACK_TONE_CURT)
    return "".join(parts)

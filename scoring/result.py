"""Result dataclasses returned by :func:`scoring.score` (all JSON-safe via ``to_dict``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from scoring import messages


@dataclass(frozen=True, slots=True)
class Hit:
    """A checklist item the reply satisfied.

    ``via`` is the stage that decided: ``"classifier"`` (the clause classifier trained on labelled
    clauses), ``"keyword"`` (a cue of an item no classifier knows matched literally), ``"exemplar"``
    (a clause matched an exemplar sentence semantically) or ``"reference"`` (the reply matched a
    reference answer). ``credit`` is 1.0, or 0.5 when the item is only partly done. ``confidence``
    is the classifier's probability; ``evidence`` the nearest labelled example that decided
    (``"<example id>: <text>"``).
    """

    item: str
    label: str
    skill: str
    span: str
    start: int
    end: int
    via: str
    credit: float = 1.0
    confidence: float = 0.0
    evidence: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Hit:
        """Build from :meth:`to_dict` output."""
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Miss:
    """A checklist item the reply did not satisfy."""

    item: str
    label: str
    skill: str
    confidence: float = 0.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Miss:
        """Build from :meth:`to_dict` output."""
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class BlockerHit:
    """A blocker found in the reply; ``cap`` is the highest score the reply can then get.

    ``stage`` is what decided: ``rule:<id>`` (a must-never-miss rule), ``danger:<id>`` (close to a
    node's declared danger and read as advice by the classifier), ``node`` (a node's own pattern,
    confirmed by the classifier), ``classifier`` or ``keyword`` (the cue lists, for rubrics the
    learned scorer does not cover).
    """

    id: str
    label: str
    reason: str
    span: str
    start: int
    end: int
    cap: int
    stage: str = ""
    confidence: float = 0.0
    evidence: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BlockerHit:
        """Build from :meth:`to_dict` output."""
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return asdict(self)


def fact_sentence(span: str, label: str, stage: str = "declared") -> str:
    """What a trainee is told of a wrong fact ``span``.

    What the manual says (``label``); for a ``reference`` fact, the amounts the references give
    (the references stand in for the manual there); for a ``document`` fact, the documents of the
    node's scenario; for a ``classifier`` fact, which knows no
    node's facts, that the manual has no such rule and to check it.
    """
    text = _FACT_SENTENCES.get(stage, messages.FEEDBACK_WRONG_FACT)
    return text.format(span=span, label=label)


_FACT_SENTENCES = {
    "classifier": messages.FEEDBACK_WRONG_FACT_LEARNED,
    "reference": messages.FEEDBACK_WRONG_AMOUNT,
    "document": messages.FEEDBACK_WRONG_DOCUMENT,
}


@dataclass(frozen=True, slots=True)
class WrongFact:
    """A fact stated wrongly: ``span`` in the reply, ``label`` what the manual says.

    ``stage`` is what found it: ``declared`` (a node fact's ``accept``/``wrong``), ``misstatement`` (a
    clause close in meaning to one of a node fact's ``misstatements``, the ``evidence``), ``reference`` (an
    amount no reference states), ``document`` (a document of another scenario's procedure, see
    :func:`scoring.pipeline.foreign_documents`) or ``classifier`` (the learned ``wrong_fact`` classifier, which knows
    no node's facts: ``label`` then says to check the manual and ``evidence`` is the nearest labelled
    wrong statement).
    """

    id: str
    label: str
    span: str
    start: int
    end: int
    stage: str = "declared"
    evidence: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WrongFact:
        """Build from :meth:`to_dict` output."""
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return asdict(self)

    @property
    def sentence(self) -> str:
        """The feedback sentence for this fact (see :func:`fact_sentence`)."""
        return fact_sentence(self.span, self.label, self.stage)


@dataclass(frozen=True, slots=True)
class Tone:
    """Tone of the reply: a label and the polite and rude expressions found."""

    label: str
    polite: list[str] = field(default_factory=list)
    rude: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tone:
        """Build from :meth:`to_dict` output."""
        return cls(label=data["label"], polite=list(data.get("polite", [])), rude=list(data.get("rude", [])))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {"label": self.label, "polite": list(self.polite), "rude": list(self.rude)}


@dataclass(frozen=True, slots=True)
class SemanticMatch:
    """The reference closest in meaning to the reply.

    ``index`` is -1 and ``text`` empty when no references were given.
    """

    index: int
    text: str
    raw: float
    calibrated: float

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SemanticMatch:
        """Build from :meth:`to_dict` output."""
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """The explained score of one reply."""

    score: int
    band: str
    decided_by: str
    semantic: SemanticMatch
    hits: list[Hit]
    misses: list[Miss]
    blockers: list[BlockerHit]
    tone: Tone
    feedback: str
    rubric: str = ""
    scorer_version: str = ""
    grade: float | None = None
    wrong_facts: list[WrongFact] = field(default_factory=list)

    @property
    def hit_ids(self) -> frozenset[str]:
        """Ids of the checklist items hit."""
        return frozenset(hit.item for hit in self.hits)

    @property
    def miss_ids(self) -> frozenset[str]:
        """Ids of the checklist items missed."""
        return frozenset(miss.item for miss in self.misses)

    @property
    def blocker_ids(self) -> frozenset[str]:
        """Ids of the blockers found."""
        return frozenset(blocker.id for blocker in self.blockers)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (lists instead of frozensets, plain numbers and strings)."""
        return {
            "score": self.score,
            "band": self.band,
            "decided_by": self.decided_by,
            "semantic": self.semantic.to_dict(),
            "hits": [hit.to_dict() for hit in self.hits],
            "misses": [miss.to_dict() for miss in self.misses],
            "blockers": [blocker.to_dict() for blocker in self.blockers],
            "tone": self.tone.to_dict(),
            "feedback": self.feedback,
            "rubric": self.rubric,
            "scorer_version": self.scorer_version,
            "grade": self.grade,
            "wrong_facts": [fact.to_dict() for fact in self.wrong_facts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreResult:
        """Rebuild a result stored with :meth:`to_dict`."""
        return cls(
            score=int(data["score"]),
            band=data["band"],
            decided_by=data["decided_by"],
            semantic=SemanticMatch.from_dict(data["semantic"]),
            hits=[Hit.from_dict(h) for h in data.get("hits", [])],
            misses=[Miss.from_dict(m) for m in data.get("misses", [])],
            blockers=[BlockerHit.from_dict(b) for b in data.get("blockers", [])],
            tone=Tone.from_dict(data["tone"]),
            feedback=data.get("feedback", ""),
            rubric=data.get("rubric", ""),
            scorer_version=data.get("scorer_version", ""),
            grade=data.get("grade"),
            wrong_facts=[WrongFact.from_dict(f) for f in data.get("wrong_facts", [])],
        )

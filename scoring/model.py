"""The learned scorer's artefact: clause classifiers, their evidence, and the grade model.

Built by :func:`scoring.train.train` from the repository's data (``python -m scoring train``), saved
as a folder with ``meta.json`` (labels, thresholds, n-gram vocabulary, version) and ``arrays.npz``
(weights and evidence embeddings): plain data, so loading never unpickles code. The version is a
hash of the training data and of the code that turns it into a model; every scored turn records it.

``GUANJIA_SCORER_MODEL`` names a model folder to load instead of the default
``scoring/models/current-<encoder>`` (a model is only valid with the encoder it was trained on).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scoring.features import FIGURES, NgramIndex, ngram_vectorizer

MODELS_DIR = Path(__file__).resolve().parent / "models"
ENV_MODEL_DIR = "GUANJIA_SCORER_MODEL"
FORMAT_VERSION = 5
# Cosine at which a reply counts as the same as a corrected one (a few characters changed).
MEMORY_SIMILARITY = 0.93


def node_key(references: Sequence[str]) -> str:
    """A node's identity as the scorer sees it: a hash of its references."""
    return hashlib.sha256("\n".join(r.strip() for r in references if r.strip()).encode()).hexdigest()[:16]

# Predicted grade (0 不合格 .. 3 优秀) -> score: grade 0.5, 1.5 and 2.5 sit on the band boundaries
# 55, 70 and 85, so a reply is in the band of the grade it is closest to.
GRADE_KNOTS = (-0.5, 0.0, 0.5, 1.5, 2.5, 3.0, 3.5)
SCORE_KNOTS = (0.0, 20.0, 55.0, 70.0, 85.0, 94.0, 100.0)


def grade_to_score(grade: float) -> int:
    """Map a predicted 0-3 grade to the 0-100 score (piecewise linear, see ``GRADE_KNOTS``)."""
    return int(round(float(np.interp(grade, GRADE_KNOTS, SCORE_KNOTS))))


@dataclass(frozen=True, slots=True)
class Evidence:
    """The labelled training clause closest to the clause that decided."""

    example: str
    text: str
    similarity: float


@dataclass
class ScorerModel:
    """A trained scorer (see the module docstring for how it is built and stored).

    Attributes:
        version: ``<data hash>-<code hash>``, 16 hex characters in all.
        encoder: The sentence-encoder name the model was trained with.
        labels: Clause labels: item ids and blocker ids.
        weights, bias: Linear clause classifiers over ``clause_matrix`` (one column per label).
        thresholds: Probability at which a label is decided present in a reply.
        scale: Weight of the embedding block beside the n-grams.
        vocabulary, idf: The character n-gram vocabulary and IDF.
        evidence_*: Embeddings, labels, texts and ids of the positive training clauses.
        grade_layers, grade_beta: The grade model, an average of small ReLU networks (``W1, b1, w2,
            b2`` each, fitted by scikit-learn's ``MLPRegressor``) over
            ``[beta x reply embedding, standardised figures, generic label scores]``.
        figure_mean, figure_std: Standardisation of ``FIGURES``.
        generic: Labels whose reply-level scores feed the grade model.
        stats: Counts recorded at training time (examples, clauses, per-label positives).
        memory_*: Trainers' corrections, remembered as given: a reply at the same node (same
            references) that is nearly the same as a corrected one gets the trainer's grade.
        documents: For each node of the library (by :func:`node_key`), the documents (《…》) its
            scenario names in its references and declared facts; ``known_documents`` is their union.
    """

    version: str
    encoder: str
    labels: list[str]
    weights: np.ndarray
    bias: np.ndarray
    thresholds: np.ndarray
    scale: float
    vocabulary: dict[str, int]
    idf: np.ndarray
    evidence_vectors: np.ndarray
    evidence_labels: np.ndarray
    evidence_texts: list[str]
    evidence_ids: list[str]
    grade_layers: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]
    grade_beta: float
    figure_mean: np.ndarray
    figure_std: np.ndarray
    generic: list[str]
    stats: dict = field(default_factory=dict)
    memory_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 512), dtype=np.float32))
    memory_keys: list[str] = field(default_factory=list)
    memory_grades: list[int] = field(default_factory=list)
    memory_ids: list[str] = field(default_factory=list)
    documents: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._documents = {key: frozenset(names) for key, names in self.documents.items()}
        self.known_documents = frozenset(name for names in self._documents.values() for name in names)
        self._index = {label: i for i, label in enumerate(self.labels)}
        self._vectorizer = ngram_vectorizer(self.vocabulary, self.idf)
        self._generic_cols = np.array([self._index[g] for g in self.generic], dtype=np.int64)
        self._ngrams = NgramIndex(self.vocabulary, self.idf)
        dim = self.evidence_vectors.shape[1] if self.evidence_vectors.ndim == 2 else 0
        self._dense_weights = np.ascontiguousarray(self.weights[:dim], dtype=np.float32)
        self._gram_weights = np.ascontiguousarray(self.weights[dim:], dtype=np.float32)
        self._evidence = {}
        for j in range(len(self.labels)):
            rows = np.flatnonzero(self.evidence_labels == j)
            self._evidence[j] = (rows, self.evidence_vectors[rows].astype(np.float32))

    @property
    def vectorizer(self):
        """The n-gram ``TfidfVectorizer`` rebuilt from the stored vocabulary."""
        return self._vectorizer

    def scenario_documents(self, references: Sequence[str]) -> frozenset[str] | None:
        """The documents (《…》) the scenario of the node with these ``references`` names anywhere.

        ``None`` for a node the model was not trained with (its references were edited since, or
        a command-line line brings its own): its scenario is unknown.
        """
        return self._documents.get(node_key(references))

    def has_label(self, label: str) -> bool:
        """Whether a classifier was trained for this item or blocker id."""
        return label in self._index

    def column(self, label: str) -> int:
        """The column of ``label`` in :meth:`clause_probabilities`."""
        return self._index[label]

    def threshold(self, label: str) -> float:
        """The probability at which ``label`` is decided present."""
        return float(self.thresholds[self._index[label]])

    def clause_probabilities(self, matrix) -> np.ndarray:
        """Probability of every label for every clause row of ``clause_matrix``."""
        logits = np.asarray(matrix @ self.weights) + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))

    def probabilities(self, clause_vectors: np.ndarray, contexts: Sequence[str]) -> np.ndarray:
        """The same as :meth:`clause_probabilities` of ``clause_matrix(...)``, computed fast."""
        logits = (self.scale * np.asarray(clause_vectors, dtype=np.float32)) @ self._dense_weights + self.bias
        for i, (columns, values) in enumerate(self._ngrams.rows(contexts)):
            if len(columns):
                logits[i] += values.astype(np.float32) @ self._gram_weights[columns]
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))

    def grade_input(self, reply_vec: np.ndarray, figures: Sequence[float], label_scores: np.ndarray) -> np.ndarray:
        """The grade model's input row for one reply."""
        standard = (np.asarray(figures, dtype=np.float64) - self.figure_mean) / self.figure_std
        return np.concatenate([self.grade_beta * reply_vec, standard, label_scores[self._generic_cols]])

    def predict_grade(self, row: np.ndarray) -> float:
        """The predicted 0-3 grade of one input row."""
        outputs = [np.maximum(row @ w1 + b1, 0.0) @ w2 + b2 for w1, b1, w2, b2 in self.grade_layers]
        return float(np.mean(outputs))

    def remembered(self, node_key: str, vector: np.ndarray) -> tuple[str, int, float] | None:
        """The trainer's correction of a nearly identical reply at this node: ``(id, grade, similarity)``."""
        rows = [i for i, key in enumerate(self.memory_keys) if key == node_key]
        if not rows:
            return None
        sims = self.memory_vectors[rows].astype(np.float32) @ vector
        best = int(np.argmax(sims))
        if sims[best] < MEMORY_SIMILARITY:
            return None
        row = rows[best]
        return self.memory_ids[row], self.memory_grades[row], float(sims[best])

    def nearest_evidence(self, label: str, vector: np.ndarray) -> Evidence | None:
        """The positive training clause of ``label`` closest to ``vector``."""
        rows, vectors = self._evidence[self._index[label]]
        if rows.size == 0:
            return None
        sims = vectors @ vector
        best = int(np.argmax(sims))
        row = int(rows[best])
        return Evidence(self.evidence_ids[row], self.evidence_texts[row], round(float(sims[best]), 4))

    # ------------------------------------------------------------------ persistence
    def save(self, directory: Path) -> Path:
        """Write the model to ``directory`` (created); returns it."""
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            directory / "arrays.npz",
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            thresholds=self.thresholds.astype(np.float32),
            idf=self.idf.astype(np.float64),
            evidence_vectors=self.evidence_vectors.astype(np.float16),
            evidence_labels=self.evidence_labels.astype(np.int32),
            **{f"grade_{k}_{name}": value for k, layer in enumerate(self.grade_layers)
               for name, value in zip(("w1", "b1", "w2", "b2"), layer, strict=True)},
            figure_mean=self.figure_mean.astype(np.float64),
            figure_std=self.figure_std.astype(np.float64),
            memory_vectors=self.memory_vectors.astype(np.float32),
        )
        meta = {
            "format": FORMAT_VERSION,
            "version": self.version,
            "encoder": self.encoder,
            "labels": self.labels,
            "scale": self.scale,
            "vocabulary": self.vocabulary,
            "evidence_texts": self.evidence_texts,
            "evidence_ids": self.evidence_ids,
            "grade_networks": len(self.grade_layers),
            "grade_beta": self.grade_beta,
            "generic": self.generic,
            "figures": list(FIGURES),
            "stats": self.stats,
            "memory_keys": self.memory_keys,
            "memory_grades": self.memory_grades,
            "memory_ids": self.memory_ids,
            "documents": self.documents,
        }
        tmp = directory / "meta.json.tmp"
        tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        tmp.replace(directory / "meta.json")
        return directory

    @classmethod
    def load(cls, directory: Path) -> ScorerModel:
        """Read a model written by :meth:`save`.

        Raises:
            FileNotFoundError: There is no model in ``directory``.
            ValueError: The folder holds a model of another format or feature set.
        """
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION or meta.get("figures") != list(FIGURES):
            raise ValueError(f"{directory}: 评分模型格式不符,请运行 python -m scoring train 重新生成")
        with np.load(directory / "arrays.npz") as arrays:
            data = {key: arrays[key] for key in arrays.files}
        return cls(
            version=meta["version"],
            encoder=meta["encoder"],
            labels=list(meta["labels"]),
            weights=data["weights"],
            bias=data["bias"],
            thresholds=data["thresholds"],
            scale=float(meta["scale"]),
            vocabulary={str(k): int(v) for k, v in meta["vocabulary"].items()},
            idf=data["idf"],
            evidence_vectors=data["evidence_vectors"],
            evidence_labels=data["evidence_labels"],
            evidence_texts=list(meta["evidence_texts"]),
            evidence_ids=list(meta["evidence_ids"]),
            grade_layers=[
                (data[f"grade_{k}_w1"], data[f"grade_{k}_b1"], data[f"grade_{k}_w2"], float(data[f"grade_{k}_b2"]))
                for k in range(int(meta["grade_networks"]))
            ],
            grade_beta=float(meta["grade_beta"]),
            figure_mean=data["figure_mean"],
            figure_std=data["figure_std"],
            generic=list(meta["generic"]),
            stats=dict(meta.get("stats", {})),
            memory_vectors=data["memory_vectors"],
            memory_keys=list(meta["memory_keys"]),
            memory_grades=[int(g) for g in meta["memory_grades"]],
            memory_ids=list(meta["memory_ids"]),
            documents={str(k): list(v) for k, v in meta["documents"].items()},
        )


_active: dict[str, ScorerModel] = {}
_active_lock = threading.Lock()


def safe_name(encoder_name: str) -> str:
    """An encoder name as a file-name part."""
    return "".join(ch if ch.isalnum() else "_" for ch in encoder_name)


def model_dir(encoder_name: str) -> Path:
    """The folder a process loads its model from (``GUANJIA_SCORER_MODEL`` or the default)."""
    return Path(os.environ.get(ENV_MODEL_DIR) or MODELS_DIR / f"current-{safe_name(encoder_name)}")


def get_model(encoder_name: str) -> ScorerModel:
    """The process-wide model for an encoder: loaded once; trained from the repository's data if
    none is built yet or the built one is stale (another format, data or code)."""
    model = _active.get(encoder_name)
    if model is None:
        with _active_lock:
            model = _active.get(encoder_name)
            if model is None:
                directory = model_dir(encoder_name)
                from scoring.train import build_default_model, current_version

                try:
                    model = ScorerModel.load(directory)
                    if model.encoder != encoder_name or model.version != current_version(encoder_name):
                        model = None
                except (FileNotFoundError, ValueError):
                    model = None
                if model is None:
                    model = build_default_model(directory, encoder_name=encoder_name)
                _active[encoder_name] = model
    return model


def set_model(model: ScorerModel | None, encoder_name: str | None = None) -> None:
    """Make ``model`` the process-wide model of its encoder (``None``: load again on next use)."""
    with _active_lock:
        if model is None:
            if encoder_name is None:
                _active.clear()
            else:
                _active.pop(encoder_name, None)
        else:
            _active[model.encoder] = model

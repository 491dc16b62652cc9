"""Build the learned scorer from the repository's data (``python -m scoring train``).

1. Every corpus reply is cut into clauses; a clause is a positive example of an item or blocker
   when it overlaps the span the grader marked (half weight for a partly done item; what it lacks,
   e.g. a dispatch's arrival time, is the item's ``requires``, checked when scoring), a negative
   otherwise. Item labels count only at nodes whose rubric has the item (graders labelled those);
   blocker labels count everywhere. The clause bank adds positives and hard negatives.
2. One linear classifier per label (scikit-learn ``SGDClassifier``, logistic loss, balanced
   classes) over the clause embedding beside character n-grams (:mod:`scoring.features`).
3. Out-of-fold predictions (folds grouped by scenario) choose each label's threshold and feed the
   grade model, so the grade model learns how far to trust classifiers on scenarios they never saw.
4. The grade model (small ReLU networks, ``MLPRegressor``) maps the reply embedding, the
   reference-similarity figures, the rubric coverage and the label scores to the 0-3 grade.

Nothing here reads ``../shared/eval``: that set is for measuring only.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
import yaml
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import GroupKFold
from sklearn.neural_network import MLPRegressor
from threadpoolctl import threadpool_limits

from scoring.corpus import BLOCKER_IDS, FACT_LABEL, Example, LabelledClause, data_fingerprint, load_clauses, load_corpus
from scoring.encoder import DEFAULT_MODEL, DirectUSEM3, Encoder, get_encoder
from scoring.features import FIGURES, clause_matrix, fit_ngrams, prepare, reference_support
from scoring.model import MODELS_DIR, ScorerModel, model_dir, node_key, safe_name
from scoring.rubric import Rubric
from scoring.text import documents_named

# libyaml's safe loader where PyYAML was built with it (the library's 27 files load in 0.2 s, not 1.8 s).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LIBRARY_DIR = Path(__file__).resolve().parents[1] / "scenarios" / "library"
MIN_POSITIVES = 6
INNER_FOLDS = 3
EMBED_SCALE = 1.0
GRADE_BETA = 0.35
GRADE_ALPHA = 1.0
GRADE_HIDDEN = 64
GRADE_SEEDS = 3
# Threads for the independent fits of one training (the folds' classifiers and the final ones, the grade
# networks' seeds): one per core, up to 4 (more threads than cores measured slower).
TRAIN_THREADS = min(4, os.cpu_count() or 1)
OFF_TOPIC_PER_NODE = 3
SGD_ALPHA = 2e-5
BLOCKER_FLOOR = 0.3
FACT_FLOOR = 0.5
FACT_GOOD_SHARE = 0.02
STORE_FORMAT = "single-text-float16"
# A store missing this many texts (a cold one: about 30,000) is filled by a pool of processes; fewer are
# encoded in the calling process (starting a process and loading the encoder there costs seconds).
PARALLEL_ENCODE_FROM = 2000
# Everything that turns data into a model: the clause splitting (text.py), the rubrics' items and
# requirements (rubric.py, builtin_rubrics.py) as well as the features, pipeline and training.
_CODE_FILES = ("features.py", "model.py", "pipeline.py", "train.py", "text.py", "rubric.py", "builtin_rubrics.py",
               "data/rules.yaml")


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """What the scorer needs of a library node: its references and its rubric."""

    references: tuple[str, ...]
    rubric: Rubric


def library_nodes(directory: Path = LIBRARY_DIR) -> dict[tuple[str, str], NodeInfo]:
    """``(scenario id, node id) -> NodeInfo`` for every node of the scenario library (plain YAML)."""
    nodes: dict[tuple[str, str], NodeInfo] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
        for node_id, node in (data.get("nodes") or {}).items():
            rubric = Rubric.from_spec(node.get("rubric", "complaint"), f"{path.name}: nodes.{node_id}.rubric")
            nodes[(data["id"], node_id)] = NodeInfo(tuple(node.get("references", ())), rubric)
    return nodes


def scenario_documents(nodes: dict[tuple[str, str], NodeInfo]) -> dict[str, list[str]]:
    """For each node (by :func:`scoring.model.node_key`), the documents (《…》) its scenario names.

    A scenario names a document in any node's references or declared facts (``label``, ``says``;
    not ``misstatements``, which are wrong). A reply naming another scenario's document names the
    wrong one (see :func:`scoring.pipeline.foreign_documents`).
    """
    named: dict[str, set[str]] = {}
    for (scenario, _), info in nodes.items():
        texts = [*info.references, *(text for fact in info.rubric.facts for text in (fact.label, *fact.says))]
        named.setdefault(scenario, set()).update(documents_named(texts))
    documents: dict[str, set[str]] = {}
    for (scenario, _), info in nodes.items():
        documents.setdefault(node_key(info.references), set()).update(named[scenario])
    return {key: sorted(names) for key, names in documents.items()}


class EmbeddingStore:
    """Sentence embeddings by text, kept on disk between trainings (``scoring/models/embeddings-*.npz``).

    Training is reproducible whatever the store held before: a text's vector depends on the text
    alone. The encoder's output moves in the last float32 bits with the other texts of its batch
    (the BLAS kernels of a micro-batch), so each missing text is encoded on its own, and every vector
    is rounded to float16, the precision kept on disk, so a vector encoded now equals the one loaded
    from a warm store.
    """

    def __init__(self, encoder: Encoder, path: Path | None = None, *, processes: int | None = None) -> None:
        self.encoder = encoder
        self.path = path
        self.processes = processes or min(4, os.cpu_count() or 1)
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        if path is not None and path.exists():
            with np.load(path, allow_pickle=False) as data:
                # A store without this format was encoded in batches by an older version: its vectors
                # differ in the last bits from single-text ones, so it is re-encoded from scratch.
                if "format" in data.files and str(data["format"]) == STORE_FORMAT:
                    for text, vector in zip(data["texts"].tolist(), data["vectors"], strict=True):
                        self._vectors[text] = vector.astype(np.float32)

    def __len__(self) -> int:
        return len(self._vectors)

    def get(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length embeddings of ``texts`` (encoding only those not seen before)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            self._vectors.update(zip(missing, self._encode_missing(missing), strict=True))
            self._dirty = True
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])

    def _encode_missing(self, texts: list[str]) -> list[np.ndarray]:
        """Canonical vectors of ``texts``, each encoded on its own; a cold store's thousands of texts
        are shared out to :attr:`processes` worker processes (the same encoder and code, one BLAS
        thread each, so the same vectors bit for bit: a 2-core host fills the store in half the time).
        """
        if len(texts) < PARALLEL_ENCODE_FROM or self.processes <= 1:
            return [canonical_vector(v) for v in _encode_singly(self.encoder, texts)]
        # Every n-th text to each worker, so that long and short texts are shared out evenly.
        parts = [texts[i :: self.processes] for i in range(self.processes)]
        with ThreadPoolExecutor(max_workers=len(parts)) as pool:
            vectors = list(pool.map(partial(_encode_in_worker, self.encoder.name), parts))
        out: list[np.ndarray] = [np.empty(0)] * len(texts)
        for i, part in enumerate(vectors):
            out[i :: self.processes] = [row.astype(np.float32) for row in part]
        return out

    def save(self) -> None:
        """Write the store back to disk when it grew."""
        if self.path is None or not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self._vectors)
        tmp = self.path.with_suffix(".tmp.npz")
        vectors = np.stack([self._vectors[t] for t in texts]).astype(np.float16)
        np.savez(tmp, format=np.array(STORE_FORMAT), texts=np.array(texts), vectors=vectors)
        tmp.replace(self.path)
        self._dirty = False


def _encode_singly(encoder: Encoder, texts: Sequence[str]) -> list[np.ndarray]:
    """Each text encoded on its own (a vector's last bits move with the other texts of a batch)."""
    return [encoder.encode([text])[0] for text in texts]


def _encode_in_worker(encoder_name: str, texts: list[str]) -> np.ndarray:
    """Encode ``texts`` in a new ``python -m scoring.train --encode`` process: its stdin takes them as
    JSON, its stdout gives back their canonical vectors as a float16 ``.npy`` (what the store keeps).

    A plain child process rather than a multiprocessing pool: the caller may be a threaded web or
    job worker (no fork) and any script (spawn would re-run its main module).
    """
    command = [sys.executable, "-m", "scoring.train", "--encode", encoder_name]
    done = subprocess.run(command, input=json.dumps(texts, ensure_ascii=False).encode("utf-8"),
                          capture_output=True, cwd=Path(__file__).resolve().parents[1], check=False)
    if done.returncode != 0:
        raise RuntimeError(f"编码进程失败(退出码 {done.returncode}):{done.stderr.decode('utf-8', 'replace')[-2000:]}")
    vectors = np.load(io.BytesIO(done.stdout), allow_pickle=False)
    if vectors.shape[0] != len(texts):
        raise RuntimeError(f"编码进程返回了 {vectors.shape[0]} 个向量,应为 {len(texts)} 个")
    return vectors


def _encode_worker(encoder_name: str) -> int:
    """The ``--encode`` child: JSON texts on stdin, float16 canonical vectors on stdout (``.npy``)."""
    texts = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    encoder = DirectUSEM3() if encoder_name == DEFAULT_MODEL else get_encoder(encoder_name)
    with threadpool_limits(limits=1):  # one BLAS/OpenMP thread, as in training (:func:`train`)
        vectors = _encode_singly(encoder, texts)
    out = io.BytesIO()
    np.save(out, np.stack([canonical_vector(v) for v in vectors]).astype(np.float16) if vectors
            else np.zeros((0, 0), dtype=np.float16))
    sys.stdout.buffer.write(out.getvalue())
    return 0


def canonical_vector(vector: np.ndarray) -> np.ndarray:
    """A vector as the store keeps it: rounded to float16 (its precision on disk), held as float32."""
    return np.asarray(vector, dtype=np.float32).astype(np.float16).astype(np.float32)


class _StoreEncoder:
    """An :class:`Encoder` look-alike over an :class:`EmbeddingStore` (for fast evaluation)."""

    def __init__(self, store: EmbeddingStore) -> None:
        self.store = store
        self.name = store.encoder.name
        self.calibrate = store.encoder.calibrate

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.store.get(list(texts))

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        return self.store.get(list(texts))


@dataclass
class _Rows:
    contexts: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    example: list[int] = field(default_factory=list)
    group: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    targets: dict[str, list[float]] = field(default_factory=dict)


def _overlaps(span_start: int, span_end: int, start: int, end: int) -> bool:
    overlap = min(span_end, end) - max(span_start, start)
    return overlap > 0 and overlap * 2 >= min(span_end - span_start, end - start)


def _build_rows(
    examples: Sequence[Example], bank: Sequence[LabelledClause], nodes: dict[tuple[str, str], NodeInfo]
) -> tuple[_Rows, list[str]]:
    item_ids: dict[str, int] = {}
    for e in examples:
        for item in (*e.items, *e.partial_items):
            item_ids[item] = item_ids.get(item, 0) + 1
    labels = [*BLOCKER_IDS, FACT_LABEL, *sorted(item_ids)]
    everywhere = {*BLOCKER_IDS, FACT_LABEL}
    rows = _Rows(targets={label: [] for label in labels})
    for index, e in enumerate(examples):
        prepared = prepare(e.reply)
        info = nodes.get((e.scenario, e.node))
        rubric_items = set(info.rubric.item_ids) if info else set(e.items) | set(e.partial_items)
        spans: dict[str, list[tuple[int, int, float]]] = {}
        wrong = {FACT_LABEL: e.wrong_fact} if e.wrong_fact else {}
        for weight, mapping in ((1.0, e.items), (0.5, e.partial_items), (1.0, e.blockers), (1.0, wrong)):
            for label, span in mapping.items():
                pos = e.reply.find(span) if span else -1
                spans.setdefault(label, []).append((pos, pos + len(span), weight) if pos >= 0 else (-1, -1, weight))
        for i, clause in enumerate(prepared.clauses):
            rows.contexts.append(prepared.contexts[i])
            rows.texts.append(clause.text)
            rows.example.append(index)
            rows.group.append(e.scenario)
            rows.source.append(e.id)
            for label in labels:
                if label not in everywhere and label not in rubric_items:
                    rows.targets[label].append(np.nan)
                    continue
                value = 0.0
                for start, end, weight in spans.get(label, ()):
                    if start < 0:
                        value = np.nan  # labelled without a findable span: unknown which clause
                    elif _overlaps(start, end, clause.start, clause.end):
                        value = max(value, weight) if not np.isnan(value) else value
                rows.targets[label].append(value)
    for c in bank:
        if c.label not in rows.targets:
            continue
        prepared = prepare(c.text)
        rows.contexts.append("|" + " ".join(prepared.clause_texts))
        rows.texts.append(" ".join(prepared.clause_texts) or c.text)
        rows.example.append(-1)
        rows.group.append(c.source.split(":", 1)[0].removesuffix(".clauses"))
        rows.source.append(c.source)
        for label in labels:
            rows.targets[label].append((1.0 if c.positive else 0.0) if label == c.label else np.nan)
    counts = {label: int(np.nansum(np.array(rows.targets[label]) >= 0.5)) for label in labels}
    kept = [label for label in labels if label in BLOCKER_IDS or counts[label] >= MIN_POSITIVES]
    return rows, kept


def _fit_classifiers(x, targets: dict[str, np.ndarray], labels: Sequence[str], rows: np.ndarray,
                     partial_as_half: bool = False, row_weight: np.ndarray | None = None):
    """One logistic classifier per label over the clause rows ``rows``.

    A clause of a partly done item (target 0.5: a dispatch without the arrival time the item
    requires, an apology in passing) counts as a positive at half weight. ``partial_as_half`` counts
    it once as a positive and once as a negative at half weight each instead, so the classifier
    itself learns what the graders withheld full credit for; measured on identical CV folds
    (``bench/scoring_quality.py --ablate-partial``) it lost 0.002 Spearman against checking the
    item's ``requires`` alone, so it stays off.
    """
    weights = np.zeros((x.shape[1], len(labels)), dtype=np.float32)
    bias = np.full(len(labels), -10.0, dtype=np.float32)
    sub = x[rows]
    for j, label in enumerate(labels):
        y_all = targets[label][rows]
        known = ~np.isnan(y_all)
        values = y_all[known]
        y = values >= 0.25
        if y.sum() == 0 or y.all():
            continue
        half = np.flatnonzero(values == 0.5)
        inputs = sub[known]
        sample_weight = np.where(values == 0.5, 0.5, 1.0)
        if row_weight is not None:
            sample_weight = sample_weight * row_weight[rows][known]
        if partial_as_half and len(half):
            inputs = sparse.vstack([inputs, inputs[half]], format="csr")
            y = np.concatenate([y, np.zeros(len(half), dtype=bool)])
            sample_weight = np.concatenate([sample_weight, sample_weight[half]])
        clf = SGDClassifier(
            loss="log_loss", alpha=SGD_ALPHA, class_weight="balanced", max_iter=15, tol=1e-3, random_state=0
        )
        # A few epochs fit these linear models well; more only cost time (see bench/scoring_quality.py):
        # the ConvergenceWarning is silenced by the caller (:func:`_quiet`; filters are process-wide).
        clf.fit(inputs, y, sample_weight=sample_weight)
        weights[:, j] = clf.coef_[0]
        bias[j] = clf.intercept_[0]
    return weights, bias


def _fact_vetoed(oof, labels, rows_of: dict[int, list[int]], vectors, examples, nodes, store) -> np.ndarray:
    """``oof`` with the ``wrong_fact`` column as the pipeline reads it (:func:`scoring.pipeline.fact_scores`).

    A clause restating one of its node's references, or a correct wording of one of its declared
    facts (:func:`scoring.pipeline.fact_support`), is never flagged, so the threshold is calibrated
    on the clauses that can be. ``rows_of`` maps an example to its clause rows.
    """
    from scoring.pipeline import encode_references, fact_scores, fact_support

    if FACT_LABEL not in labels:
        return oof
    encoder = _StoreEncoder(store)
    encoded: dict[tuple[str, str], tuple] = {}
    support = np.zeros(len(oof), dtype=np.float32)
    for e, indices in rows_of.items():
        key = (examples[e].scenario, examples[e].node)
        if key not in encoded:
            encoded[key] = encode_references(encoder, nodes[key].references, vectors.shape[1])
        support[indices] = np.maximum(reference_support(vectors[indices], encoded[key][2]),
                                      fact_support(encoder, nodes[key].rubric, vectors[indices]))
    vetoed = oof.copy()
    j = labels.index(FACT_LABEL)
    vetoed[:, j] = fact_scores(oof, j, support)
    return vetoed


def _reply_scores(probs: np.ndarray, example_of_row: np.ndarray, n_examples: int) -> np.ndarray:
    scores = np.zeros((n_examples, probs.shape[1]), dtype=np.float32)
    for row, e in enumerate(example_of_row):
        if e >= 0:
            np.maximum(scores[e], probs[row], out=scores[e])
    return scores


def _choose_thresholds(
    labels: Sequence[str], scores: np.ndarray, examples: Sequence[Example], nodes: dict[tuple[str, str], NodeInfo]
) -> tuple[np.ndarray, np.ndarray]:
    """Each label's decision threshold from out-of-fold scores: the F1-best one.

    Items are judged over the replies at nodes that have the item (0.5 for items of a single
    scenario, which out-of-fold predictions never see); blockers over every reply, at least
    ``BLOCKER_FLOOR``.
    """
    thresholds = np.full(len(labels), 0.5, dtype=np.float32)
    for j, label in enumerate(labels):
        if label == FACT_LABEL:
            # Capping a good reply at 合格 costs more than missing a wrong fact the grade model may
            # still rank low: the lowest threshold that flags at most FACT_GOOD_SHARE of good replies
            # (0.005, 0.01 and 0.02 compared on the grouped folds: wrong facts above 合格 71, 67 and 56
            # of 131, Spearman 0.882, 0.880 and 0.881). The scores are read as the pipeline reads them,
            # clauses restating a reference at 0 (_fact_vetoed); calibrated on every clause instead, the
            # threshold flagged 0.8 % of good replies, not 2 %, and let 56 of 131 wrong facts above 合格,
            # not 38 (Spearman 0.883, not 0.881).
            good = np.array([e.grade >= 2 for e in examples])
            share = float(np.quantile(scores[good, j], 1 - FACT_GOOD_SHARE)) if good.any() else 0.99
            thresholds[j] = max(FACT_FLOOR, share)
            continue
        if label in BLOCKER_IDS:
            truth = np.array([label in e.blockers for e in examples])
            thresholds[j] = _f1_best(scores[:, j], truth, np.linspace(BLOCKER_FLOOR, 0.99, 70))
            continue
        relevant = np.array(
            [label in (nodes[(e.scenario, e.node)].rubric.item_ids if (e.scenario, e.node) in nodes else ())
             for e in examples]
        )
        if len({e.scenario for e, r in zip(examples, relevant, strict=True) if r}) < 2:
            continue
        truth = np.array([label in e.items for e in examples])[relevant]
        thresholds[j] = _f1_best(scores[relevant, j], truth, np.linspace(0.2, 0.9, 29))
    return thresholds


def _off_topic_inputs(examples, nodes, fold_models, store, probe, labels, thresholds, vectorizer, oof_of, documents):
    """Grade inputs of good replies moved to a node of another scenario, graded 0 (off-topic).

    The corpus has few off-topic replies, yet "明天小区组织羽毛球比赛" to a leaking ceiling must fail:
    ``OFF_TOPIC_PER_NODE`` good replies of other scenarios per node teach the grade model that a fine
    reply to the wrong situation is no answer. Each is analysed by the fold model that never saw
    either scenario's replies, like the rest of the grade model's input.
    """
    rng = np.random.default_rng(0)
    good = [i for i, e in enumerate(examples) if e.grade >= 2]
    rows, grades = [], []
    for weights, bias, test_idx in fold_models:
        fold_model = _model("oof", store.encoder.name, labels, weights, bias, thresholds, vectorizer,
                            documents=documents)
        held_nodes = sorted({(examples[i].scenario, examples[i].node) for i in test_idx})
        held_scenarios = {s for s, _ in held_nodes}
        donors = [i for i in good if examples[i].scenario in held_scenarios]
        for scenario, node in held_nodes:
            pool = [i for i in donors if examples[i].scenario != scenario]
            if not pool:
                continue
            picks = rng.choice(len(pool), size=min(OFF_TOPIC_PER_NODE, len(pool)), replace=False)
            moved = [replace(examples[pool[k]], scenario=scenario, node=node) for k in picks]
            moved_probs = [oof_of[pool[k]] for k in picks]
            for analysis in _analyses(fold_model, store, moved, nodes, moved_probs):
                rows.append(probe.grade_input(analysis.whole_vec, analysis.figures, analysis.label_scores))
                grades.append(0.0)
    width = probe.grade_input(np.zeros(512), np.zeros(len(FIGURES)), np.zeros(len(labels))).shape[0]
    return (np.array(rows) if rows else np.zeros((0, width))), np.array(grades)


def _fit_grade_networks(inputs: np.ndarray, grades: np.ndarray, sample_weight: np.ndarray | None = None) -> list:
    """Small ReLU networks mapping a reply's grade input to its 0-3 grade, one per seed.

    Averaging a few seeds steadies the prediction; early stopping on a held-out tenth and an L2
    penalty keep the networks from memorising the corpus (chosen by grouped cross-validation).
    """
    return _parallel([(seed, inputs, grades, sample_weight) for seed in range(GRADE_SEEDS)], _fit_grade_network)


def _fit_grade_network(seed: int, inputs: np.ndarray, grades: np.ndarray, sample_weight: np.ndarray | None) -> tuple:
    net = MLPRegressor(hidden_layer_sizes=(GRADE_HIDDEN,), alpha=GRADE_ALPHA, max_iter=400,
                       early_stopping=True, random_state=seed)
    if sample_weight is None or np.all(sample_weight == 1.0):
        net.fit(inputs, grades)
    else:
        net.fit(inputs, grades, sample_weight=sample_weight)
    w1, w2 = net.coefs_
    b1, b2 = net.intercepts_
    return w1.astype(np.float64), b1.astype(np.float64), w2[:, 0].astype(np.float64), float(b2[0])


def _parallel(calls: Sequence[tuple], fit) -> list:
    """``[fit(*args) for args in calls]``, run on up to :data:`TRAIN_THREADS` threads, in order.

    Each fit is seeded and runs BLAS on one thread (:func:`train`), so its result does not depend on
    what runs beside it; the fits spend their time in compiled loops that release the GIL.
    """
    threads = min(TRAIN_THREADS, len(calls))
    if threads <= 1:
        return [fit(*args) for args in calls]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda args: fit(*args), calls))


@contextmanager
def _quiet():
    """Silence the ConvergenceWarning of the few-epoch fits (once, around every thread's fits)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _f1_best(scores: np.ndarray, truth: np.ndarray, candidates: np.ndarray) -> float:
    best_f, best_t = -1.0, 0.5
    for t in candidates:
        predicted = scores >= t
        tp = float((predicted & truth).sum())
        f1 = 2 * tp / max(1.0, predicted.sum() + truth.sum())
        if f1 > best_f:
            best_f, best_t = f1, float(t)
    return best_t





def code_fingerprint() -> str:
    """A hash of the code and rules that turn data into a model."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _CODE_FILES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def _model(
    version: str, encoder_name: str, labels, weights, bias, thresholds, vectorizer, *, evidence=None, grade=None,
    stats=None, memory=None, documents=None,
) -> ScorerModel:
    empty = (np.zeros((0, 512), np.float16), np.zeros(0, np.int32), [], [])
    ev_vectors, ev_labels, ev_texts, ev_ids = evidence or empty
    layers, mean, std = grade or ([], np.zeros(len(FIGURES)), np.ones(len(FIGURES)))
    return ScorerModel(
        version=version, encoder=encoder_name, labels=list(labels), weights=weights, bias=bias,
        thresholds=thresholds, scale=EMBED_SCALE, vocabulary={k: int(v) for k, v in vectorizer.vocabulary_.items()},
        idf=vectorizer.idf_, evidence_vectors=ev_vectors, evidence_labels=ev_labels, evidence_texts=ev_texts,
        evidence_ids=ev_ids, grade_layers=layers, grade_beta=GRADE_BETA, figure_mean=mean,
        figure_std=std, generic=list(labels), stats=stats or {}, documents=documents or {},
        **({} if memory is None else dict(zip(("memory_vectors", "memory_keys", "memory_grades", "memory_ids"),
                                              memory, strict=True))),
    )


def _analyses(model: ScorerModel, store: EmbeddingStore, examples: Sequence[Example], nodes, probs=None):
    """Analyse examples at their nodes; ``probs`` gives each example's clause probabilities if known."""
    from scoring.pipeline import analyse, encode_references

    encoder = _StoreEncoder(store)
    encoded: dict[tuple[str, str], tuple] = {}
    out = []
    for k, e in enumerate(examples):
        prepared = prepare(e.reply)
        key = (e.scenario, e.node)
        info = nodes[key]
        if key not in encoded:
            encoded[key] = encode_references(encoder, info.references, 512)
        vectors = store.get([prepared.whole or e.reply, *prepared.clause_texts])
        out.append(analyse(model, encoder, prepared, vectors, info.references, info.rubric,
                           probs=None if probs is None else probs[k], encoded_references=encoded[key]))
    return out


def score_examples(model: ScorerModel, examples: Sequence[Example], nodes, store: EmbeddingStore) -> list:
    """Score examples at their library nodes with ``model`` (embeddings from ``store``)."""
    from scoring.pipeline import finish

    with threadpool_limits(limits=1):
        analyses = _analyses(model, store, examples, nodes)
        return [finish(model, a, nodes[(e.scenario, e.node)].rubric) for e, a in zip(examples, analyses, strict=True)]


def train(
    examples: Sequence[Example],
    bank: Sequence[LabelledClause],
    nodes: dict[tuple[str, str], NodeInfo],
    store: EmbeddingStore,
    *,
    log=None,
    partial_as_half: bool = False,
    weights: dict[str, float] | None = None,
) -> ScorerModel:
    """Fit the whole scorer on ``examples`` (replies at library nodes) and the clause bank.

    Deterministic: the same data, code and encoder give the same model bit for bit, whatever the
    embedding store held before (see :class:`EmbeddingStore`) and however many threads the host
    gives BLAS (a float sum split over more threads adds in another order, so every BLAS and
    OpenMP pool runs one thread here; the matrices are small).

    Args:
        examples: Graded replies; those at nodes missing from ``nodes`` are skipped.
        bank: Labelled clauses (positives and hard negatives).
        nodes: The library's nodes (references and rubrics).
        store: Embeddings (computed as needed).
        log: Optional ``print``-like callable for progress.
        partial_as_half: How a partly done item's clauses are learned (see :func:`_fit_classifiers`;
            ``True`` only to measure that way in cross-validation).
        weights: Example id -> sample weight for its clauses and its grade (1 when absent), to
            measure a lower weight for another round of replies in cross-validation.

    Returns:
        The trained :class:`ScorerModel` (not saved).
    """
    with threadpool_limits(limits=1), _quiet():
        return _train(examples, bank, nodes, store, log, partial_as_half, weights or {})


def _train(examples, bank, nodes, store, log, partial_as_half, example_weights) -> ScorerModel:
    started = time.perf_counter()
    say = log or (lambda *a: None)
    version = model_version(examples, bank, store.encoder.name, nodes)
    examples = [e for e in examples if (e.scenario, e.node) in nodes]
    from scoring.pipeline import node_texts

    rows, labels = _build_rows(examples, bank, nodes)
    # Everything training embeds, in one call (a cold store is filled by a pool of processes): the
    # clause rows, each reply whole, and every node's references, exemplars and fact wordings.
    store.get([*rows.texts, *(prepare(e.reply).whole or e.reply for e in examples),
               *(t for info in nodes.values() for t in node_texts(info.references, info.rubric))])
    vectors = store.get(rows.texts)
    vectorizer = fit_ngrams(rows.contexts)
    x = clause_matrix(vectors, rows.contexts, vectorizer, EMBED_SCALE)
    targets = {label: np.array(rows.targets[label], dtype=np.float64) for label in labels}
    example_of_row = np.array(rows.example)
    groups = np.array(rows.group)
    weight_of = np.array([example_weights.get(e.id, 1.0) for e in examples] + [1.0])
    row_weight = weight_of[example_of_row]  # clause-bank rows (example -1) weigh 1
    say(f"  {len(examples)} 条回复,{len(rows.texts)} 个子句,{len(labels)} 个标签,{time.perf_counter() - started:.1f}s")

    # Out-of-fold clause probabilities, folds grouped by scenario.
    scenario_of = np.array([e.scenario for e in examples])
    unique = sorted(set(scenario_of))
    folds = min(INNER_FOLDS, len(unique))
    oof = np.zeros((len(rows.texts), len(labels)), dtype=np.float32)
    fold_models: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    splitter = GroupKFold(n_splits=folds)
    splits = [(test_idx, np.isin(groups, list(set(scenario_of[test_idx]))))
              for _train_idx, test_idx in splitter.split(np.zeros(len(examples)), groups=scenario_of)]
    # The folds' classifiers and the final ones (on every row) are independent fits: they run side by
    # side on the host's cores (SGD's epochs release the GIL; each fit is the same whatever runs beside it).
    fits = _parallel([(x, targets, labels, np.flatnonzero(~held), partial_as_half, row_weight) for _, held in splits]
                     + [(x, targets, labels, np.arange(len(rows.texts)), partial_as_half, row_weight)],
                     _fit_classifiers)
    for (test_idx, held), (weights, bias) in zip(splits, fits, strict=False):
        test_rows = np.flatnonzero(held)
        logits = np.asarray(x[test_rows] @ weights) + bias
        oof[test_rows] = 1 / (1 + np.exp(-np.clip(logits, -30, 30)))
        fold_models.append((weights, bias, test_idx))
    say(f"  交叉折外预测完成,{time.perf_counter() - started:.1f}s")
    rows_of: dict[int, list[int]] = {}
    for row, e in enumerate(rows.example):
        if e >= 0:
            rows_of.setdefault(e, []).append(row)
    readable = _fact_vetoed(oof, labels, rows_of, vectors, examples, nodes, store)
    thresholds = _choose_thresholds(labels, _reply_scores(readable, example_of_row, len(examples)), examples, nodes)

    # The grade model on out-of-fold analyses.
    inputs = np.zeros((len(examples), 512 + len(FIGURES) + len(labels)))
    raw_figures = np.zeros((len(examples), len(FIGURES)))
    analyses: dict[int, object] = {}
    oof_of = {e: oof[r] for e, r in rows_of.items()}
    documents = scenario_documents(nodes)
    for weights, bias, test_idx in fold_models:
        fold_model = _model("oof", store.encoder.name, labels, weights, bias, thresholds, vectorizer,
                            documents=documents)
        held = [examples[i] for i in test_idx]
        for i, analysis in zip(test_idx, _analyses(fold_model, store, held, nodes, [oof_of[i] for i in test_idx]),
                               strict=True):
            analyses[int(i)] = analysis
            raw_figures[i] = analysis.figures
    mean, std = raw_figures.mean(axis=0), raw_figures.std(axis=0) + 1e-6
    probe = _model("oof", store.encoder.name, labels, *fold_models[0][:2], thresholds, vectorizer,
                   grade=([], mean, std))
    for i, analysis in analyses.items():
        inputs[i] = probe.grade_input(analysis.whole_vec, analysis.figures, analysis.label_scores)
    grades = np.array([e.grade for e in examples], dtype=np.float64)
    extra_inputs, extra_grades = _off_topic_inputs(examples, nodes, fold_models, store, probe, labels, thresholds,
                                                   vectorizer, oof_of, documents)
    layers = _fit_grade_networks(np.vstack([inputs, extra_inputs]), np.concatenate([grades, extra_grades]),
                                 np.concatenate([weight_of[:-1], np.ones(len(extra_grades))]))
    say(f"  评分模型拟合完成,{time.perf_counter() - started:.1f}s")

    # Final classifiers (fitted on everything above), with the positive clauses kept as evidence.
    weights, bias = fits[-1]
    ev_rows, ev_labels = [], []
    for j, label in enumerate(labels):
        for r in np.flatnonzero(targets[label] >= 0.5):
            ev_rows.append(int(r))
            ev_labels.append(j)
    evidence = (
        vectors[ev_rows].astype(np.float16),
        np.array(ev_labels, dtype=np.int32),
        [rows.texts[r] for r in ev_rows],
        [rows.source[r] for r in ev_rows],
    )
    stats = {
        "examples": len(examples),
        "clauses": len(rows.texts),
        "positives": {label: int(np.nansum(targets[label] >= 0.5)) for label in labels},
        "seconds": round(time.perf_counter() - started, 1),
    }
    memory = [e for e in examples if e.kind == "correction"]
    memory_vectors = (store.get([prepare(e.reply).whole or e.reply for e in memory]) if memory
                      else np.zeros((0, 512), dtype=np.float32))
    say(f"  完成,{stats['seconds']}s")
    return _model(version, store.encoder.name, labels, weights, bias, thresholds, vectorizer,
                  evidence=evidence, documents=documents,
                  grade=(layers, mean, std), stats=stats, memory=(
                      memory_vectors, [node_key(nodes[(e.scenario, e.node)].references) for e in memory],
                      [e.grade for e in memory], [e.id for e in memory]))


def default_store(encoder: Encoder | None = None) -> EmbeddingStore:
    """The on-disk embedding store for an encoder (the configured one by default)."""
    encoder = encoder or get_encoder()
    return EmbeddingStore(encoder, MODELS_DIR / f"embeddings-{safe_name(encoder.name)}.npz")


def model_version(
    examples: Sequence[Example], bank: Sequence[LabelledClause], encoder_name: str,
    nodes: dict[tuple[str, str], NodeInfo] | None = None,
) -> str:
    """The version a model trained on this data with this code and encoder carries.

    ``nodes`` (the library nodes trained at) count too: their references and rubrics feed the
    figures and the grade model, so an edited scenario is a new model, not the same version.
    """
    library = library_fingerprint(nodes) if nodes is not None else ""
    digest = hashlib.sha256((data_fingerprint(examples, bank) + code_fingerprint() + encoder_name + library).encode())
    return digest.hexdigest()[:16]


def library_fingerprint(nodes: dict[tuple[str, str], NodeInfo]) -> str:
    """A hash of the nodes' references and rubrics (order-independent)."""
    digest = hashlib.sha256()
    for key in sorted(nodes):
        info = nodes[key]
        digest.update(json.dumps([list(key), list(info.references), info.rubric.to_dict()], ensure_ascii=False,
                                 sort_keys=True, default=str).encode())
    return digest.hexdigest()


def current_version(encoder_name: str) -> str:
    """The version of a model built now from the repository's data and scenario library."""
    return model_version(load_corpus(), load_clauses(), encoder_name, library_nodes())


def build_default_model(
    directory: Path, *, encoder_name: str | None = None, extra: Iterable[Example] = (), log=None
) -> ScorerModel:
    """Train on the repository's corpus and clause bank (plus ``extra`` examples), save to ``directory``."""
    store = default_store(get_encoder(encoder_name))
    model = train([*load_corpus(), *extra], load_clauses(), library_nodes(), store, log=log)
    store.save()
    model.save(directory)
    return model


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m scoring train``: build the default model unless it is up to date."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m scoring train", description="从仓库数据训练评分模型")
    parser.add_argument("--force", action="store_true", help="即使模型已是最新也重新训练")
    args = parser.parse_args(argv)
    encoder = get_encoder()
    directory = model_dir(encoder.name)
    if not args.force:
        try:
            existing = ScorerModel.load(directory)
            if existing.encoder == encoder.name and existing.version == current_version(encoder.name):
                print(f"评分模型已是最新({existing.version}):{directory}", file=sys.stderr)
                return 0
        except (FileNotFoundError, ValueError):
            pass
    print(f"训练评分模型 → {directory}", file=sys.stderr)
    model = build_default_model(directory, encoder_name=encoder.name, log=lambda msg: print(msg, file=sys.stderr))
    print(f"评分模型版本 {model.version}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # only the store's encoding workers run this module (train with `python -m scoring train`)
    if sys.argv[1:2] != ["--encode"] or len(sys.argv) != 3:
        sys.exit("用法:python -m scoring.train --encode <编码模型名>(训练请用 python -m scoring train)")
    sys.exit(_encode_worker(sys.argv[2]))

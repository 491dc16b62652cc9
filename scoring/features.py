"""Features the learned stages read: clauses with context, character n-grams, reply-level figures.

A clause is classified on two views: its sentence embedding (meaning, from the encoder) and the
TF-IDF character 1-3-grams of the clause with the tail of the clause before it (wording, and the
negation or warning that governs it: "千万别|开灯" reads differently from "开灯"). The n-gram
vocabulary and weights are fitted with scikit-learn's ``TfidfVectorizer`` at training time and
stored in the model as plain data, so loading a model never unpickles code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from scoring.text import Clause, normalize, split_clauses, strip_tags

CONTEXT_CHARS = 4
NGRAM_RANGE = (1, 3)
MAX_EMBED_CHARS = 400
# Fixed order of the reply-level figures the grade model reads (see ``reply_figures``).
FIGURES = (
    "sim_max",
    "sim_mean",
    "ref_recall",
    "reply_precision",
    "coverage",
    "hit_share",
    "log_length",
    "clauses",
    "wrong_fact",
    "cat_complaint",
    "cat_emergency",
    "cat_inquiry",
    "shirk_on_reference",
)


@dataclass(frozen=True, slots=True)
class PreparedReply:
    """A reply cut into clauses, with the text each view of a clause reads."""

    reply: str
    text: str
    clauses: tuple[Clause, ...]
    contexts: tuple[str, ...]
    whole: str

    @property
    def clause_texts(self) -> list[str]:
        """The clauses' normalised texts, in order."""
        return [c.text for c in self.clauses]


def prepare(reply: str) -> PreparedReply:
    """Normalise a reply (same length, offsets kept) and cut it into clauses with their context."""
    text = strip_tags(normalize(reply))
    clauses = tuple(split_clauses(text))
    contexts = tuple(
        (clauses[i - 1].text[-CONTEXT_CHARS:] if i else "") + "|" + c.text for i, c in enumerate(clauses)
    )
    whole = " ".join(c.text for c in clauses)[:MAX_EMBED_CHARS]
    return PreparedReply(reply, text, clauses, contexts, whole)


def fit_ngrams(texts: Sequence[str], *, min_df: int = 2) -> TfidfVectorizer:
    """Fit the character n-gram vocabulary and IDF on training clause contexts."""
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=NGRAM_RANGE, min_df=min_df, sublinear_tf=True)
    vectorizer.fit(texts)
    return vectorizer


def ngram_vectorizer(vocabulary: dict[str, int], idf: np.ndarray) -> TfidfVectorizer:
    """Rebuild a fitted ``TfidfVectorizer`` from its stored vocabulary and IDF weights."""
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=NGRAM_RANGE, sublinear_tf=True, vocabulary=vocabulary)
    vectorizer.idf_ = np.asarray(idf, dtype=np.float64)
    return vectorizer


_WHITESPACE = re.compile(r"\s\s+")


class NgramIndex:
    """Fast TF-IDF character n-grams of a few short texts, equal to the fitted ``TfidfVectorizer``'s.

    scikit-learn's ``transform`` costs about 2 ms per call whatever the input size; scoring one
    reply needs a handful of short clauses, so this computes the same sublinear TF-IDF, L2-normed
    rows directly from the stored vocabulary (a test checks they equal scikit-learn's).
    """

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray) -> None:
        self.vocabulary = vocabulary
        self.idf = np.asarray(idf, dtype=np.float64)

    def rows(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each text, the column indices and values of its TF-IDF row."""
        out = []
        low, high = NGRAM_RANGE
        for text in texts:
            text = _WHITESPACE.sub(" ", text.lower())
            counts: dict[int, int] = {}
            for n in range(low, high + 1):
                for i in range(len(text) - n + 1):
                    column = self.vocabulary.get(text[i : i + n])
                    if column is not None:
                        counts[column] = counts.get(column, 0) + 1
            if not counts:
                out.append((np.zeros(0, dtype=np.int64), np.zeros(0)))
                continue
            columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            values = (1.0 + np.log(tf)) * self.idf[columns]
            out.append((columns, values / np.linalg.norm(values)))
        return out


def clause_matrix(embeddings: np.ndarray, contexts: Sequence[str], vectorizer: TfidfVectorizer, scale: float):
    """The classifier input: ``scale`` x embedding beside the n-gram TF-IDF (a CSR matrix)."""
    grams = vectorizer.transform(list(contexts))
    dense = sparse.csr_matrix(np.asarray(embeddings, dtype=np.float32) * scale)
    return sparse.hstack([dense, grams], format="csr")


def reference_support(clause_vecs: np.ndarray, ref_clause_vecs: Sequence[np.ndarray]) -> np.ndarray:
    """Each reply clause's best cosine to any reference clause (zeros without references)."""
    pooled = [rc for rc in ref_clause_vecs if len(rc)]
    if not pooled or not len(clause_vecs):
        return np.zeros(len(clause_vecs), dtype=np.float32)
    return (clause_vecs @ np.vstack(pooled).T).max(axis=1)


def similarity_figures(
    whole_vec: np.ndarray, clause_vecs: np.ndarray, ref_vecs: np.ndarray, ref_clause_vecs: Sequence[np.ndarray]
) -> tuple[float, float, float, float, int, np.ndarray]:
    """How close the reply is to the node's references, four ways, and the closest reference.

    Returns:
        ``(sim_max, sim_mean, ref_recall, reply_precision, best_index, support)``: the whole reply's
        best and mean cosine to the references; the share of the best reference's clauses the reply
        covers (mean of each reference clause's best match among the reply's clauses); how much of
        the reply is on the references' ground (mean of ``support``, each reply clause's best match
        among all reference clauses); the 0-based index of the closest reference (-1 without
        references).
    """
    support = reference_support(clause_vecs, ref_clause_vecs)
    if len(ref_vecs) == 0 or len(clause_vecs) == 0:
        return 0.0, 0.0, 0.0, 0.0, -1, support
    whole = ref_vecs @ whole_vec
    best = int(np.argmax(whole))
    recall = max(float((rc @ clause_vecs.T).max(axis=1).mean()) for rc in ref_clause_vecs if len(rc))
    return float(whole[best]), float(whole.mean()), recall, float(support.mean()), best, support

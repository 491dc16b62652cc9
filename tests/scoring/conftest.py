"""Fixtures for the scoring tests: the embedding model, loaded once per test session."""

from __future__ import annotations

import pytest

from scoring import Encoder, get_encoder


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The process-wide encoder, warmed up once for the whole run."""
    enc = get_encoder()
    enc.encode(["您好"])
    return enc

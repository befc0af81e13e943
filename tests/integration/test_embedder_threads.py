"""Two embedders warming up under concurrent first requests (what `serve` sees at start)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from retrieval.storage.embeddings import Embedder

pytestmark = [pytest.mark.integration]


def test_cold_embedders_loaded_from_many_threads_all_answer():
    # Before the process-wide load lock, a bf16 and an fp32 load running together built models
    # with mixed-dtype layers: every call then failed with "mat1 and mat2 must have the same
    # dtype". The store's embedder and the intent router's are separate instances.
    first, second = Embedder(dtype="bfloat16"), Embedder(dtype="bfloat16")
    errors: list[str] = []
    vectors: list[np.ndarray] = []

    def batch(e: Embedder, i: int) -> None:
        try:
            vectors.extend(e.encode([f"a wooden train set {i}", "coffee grinder"]))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(str(exc))

    def query(e: Embedder, i: int) -> None:
        try:
            vectors.append(e.encode_one(f"a gift for a gardener {i}"))
        except Exception as exc:  # noqa: BLE001
            errors.append(str(exc))

    threads = [threading.Thread(target=f, args=(e, i))
               for i in range(3) for e in (first, second) for f in (batch, query)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(vectors) == 18 and all(
        np.isclose(np.linalg.norm(v), 1.0, atol=2e-2) for v in vectors
    )

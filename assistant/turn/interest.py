"""What a gift's recipient is into, as catalog categories: "a bookworm" → Books, "a chocoholic" →
Chocolate, "someone who runs" → Running Shoes and Running Socks.

MiniLM compares "a gift for {subject}" with "a gift for someone who loves {leaf}" for every leaf
category of the catalog. An interest is accepted only when its best leaf stands out from all the
others (`MIN_Z` standard deviations above their mean, and `MIN_SIMILARITY` at least), so a
recipient the store has nothing for ("a golfer", "a cat lover" in a home-and-kitchen store) maps
to nothing. Measured on the demo catalog: interests it sells reach z 2.8-3.9, ones it doesn't
sell stay at or under 2.5 (`python -m assistant.turn.interest DATA_DIR "a bookworm" …` prints them).
"""

from __future__ import annotations

import threading

import numpy as np

MIN_Z = 2.7
MIN_SIMILARITY = 0.65
NEAR = 0.05  # leaves this close to the best one count too ("runs": shoes and socks)


class Interests:
    """The catalog leaves a recipient's interest points to (computed once per index version)."""

    def __init__(self, store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._cache: tuple[int, list[str], np.ndarray] | None = None

    def _leaves(self) -> tuple[list[str], np.ndarray]:
        index = self.store.index
        with self._lock:
            if self._cache is None or self._cache[0] != index.version:
                leaves = sorted({p.category.split(">")[-1].strip() for p in index.products
                                 if p is not None and p.category})  # fmt: skip
                texts = [f"a gift for someone who loves {leaf.lower()}" for leaf in leaves]
                vecs = (
                    self.store.embedder.encode(texts, dtype="float32")
                    if leaves
                    else np.zeros((0, 384))
                )
                self._cache = (index.version, leaves, vecs)
            return self._cache[1], self._cache[2]

    def scores(self, subject: str) -> list[tuple[str, float, float]]:
        """(leaf, similarity, z) for every leaf, best first."""
        leaves, vecs = self._leaves()
        if len(leaves) < 3 or not subject.strip():
            return []
        sims = vecs @ self.store.embedder.encode_one(f"a gift for {subject.strip()}")
        z = (sims - sims.mean()) / max(float(sims.std()), 1e-6)
        order = np.argsort(-sims)
        return [(leaves[i], float(sims[i]), float(z[i])) for i in order]

    def leaves(self, subject: str) -> list[str]:
        """The leaf names the interest points to, best first; [] when none stands out."""
        ranked = self.scores(subject)
        if not ranked or ranked[0][2] < MIN_Z or ranked[0][1] < MIN_SIMILARITY:
            return []
        return [leaf for leaf, sim, _ in ranked if sim >= ranked[0][1] - NEAR]

    def rows(self, leaves: list[str]) -> np.ndarray:
        """Row numbers of the products in these leaves (from `leaves`)."""
        index = self.store.index
        out: list[int] = []
        for leaf in leaves:
            out += [int(r) for r in index.rows_of("category", leaf)
                    if index.products[r].category.split(">")[-1].strip() == leaf]  # fmt: skip
        return np.array(sorted(set(out)), dtype=np.int64)


if __name__ == "__main__":  # python -m assistant.turn.interest DATA_DIR "a bookworm" "a golfer"
    import sys
    from pathlib import Path

    from retrieval.storage.store import StoreConfig, open_store

    interests = Interests(open_store(StoreConfig(data_dir=Path(sys.argv[1]))))
    for text in sys.argv[2:]:
        leaf, sim, z = interests.scores(text)[0]
        print(f"{text!r}: {leaf} (similarity {sim:.2f}, z {z:.2f}) -> {interests.leaves(text)}")

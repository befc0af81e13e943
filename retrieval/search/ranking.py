"""Pure ranking helpers on arrays: score normalization, fusion, MMR diversity."""

from __future__ import annotations

import numpy as np


def minmax(scores: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]; a constant array becomes zeros."""
    if scores.size == 0:
        return scores.astype(np.float64)
    lo, hi = float(scores.min()), float(scores.max())
    if hi - lo < 1e-12:
        return np.zeros_like(scores, dtype=np.float64)
    return (scores - lo) / (hi - lo)


def fuse(dense: np.ndarray, lexical: np.ndarray, lexical_weight: float) -> np.ndarray:
    """Dense cosine plus a weighted, max-scaled lexical score (0 where no term matched)."""
    top = float(lexical.max()) if lexical.size else 0.0
    lex = lexical / top if top > 0 else np.zeros_like(lexical)
    return dense + lexical_weight * lex


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores, best first (stable for ties)."""
    k = min(k, scores.size)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < scores.size else np.arange(scores.size)
    return part[np.lexsort((part, -scores[part]))]


def mmr(vectors: np.ndarray, scores: np.ndarray, k: int, lam: float = 0.7) -> list[int]:
    """Maximal marginal relevance: trade relevance against similarity to what is picked.

    vectors are L2-normalized rows; scores are relevance; returns k row indices in order.
    """
    n = scores.size
    k = min(k, n)
    if k == 0:
        return []
    rel = minmax(scores)
    chosen = [int(np.argmax(rel))]
    max_sim = vectors @ vectors[chosen[0]]
    available = np.ones(n, dtype=bool)
    available[chosen[0]] = False
    while len(chosen) < k:
        value = lam * rel - (1.0 - lam) * max_sim
        value[~available] = -np.inf
        pick = int(np.argmax(value))
        chosen.append(pick)
        available[pick] = False
        max_sim = np.maximum(max_sim, vectors @ vectors[pick])
    return chosen

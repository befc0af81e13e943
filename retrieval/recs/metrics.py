"""Full-ranking next-item metrics: the rank of the held-out item among all items a user lacks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

METRICS = ("HR@10", "NDCG@10", "MRR@100")


def target_ranks(
    scores: np.ndarray,
    histories: Sequence[Sequence[int]],
    targets: np.ndarray,
    tie_break: np.ndarray | None = None,
    inplace: bool = False,
) -> np.ndarray:
    """1-based rank of each target over all items, the user's own history items excluded.

    An item with the same score as the target ranks above it when its `tie_break` value (e.g.
    popularity) is at least the target's; without tie_break every tie ranks above (pessimistic).
    inplace=True lets the function overwrite `scores` (saves a copy).
    """
    scores = np.asarray(scores)
    if not inplace or not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64 if scores.dtype == np.float64 else np.float32)
    rows = np.repeat(np.arange(len(histories)), [len(h) for h in histories])
    cols = np.fromiter((i for h in histories for i in h), dtype=np.int64, count=rows.size)
    scores[rows, cols] = -np.inf
    target_score = scores[np.arange(len(targets)), targets][:, None]
    above = (scores > target_score).sum(axis=1)
    tied = scores == target_score
    if tie_break is not None:
        tb = np.asarray(tie_break)
        tied &= tb[None, :] >= tb[targets][:, None]
    return 1 + above + tied.sum(axis=1) - 1


def metrics_from_ranks(ranks: np.ndarray) -> dict[str, float]:
    """HR@10, NDCG@10 (one relevant item: 1/log2(rank+1)) and MRR truncated at 100."""
    r = np.asarray(ranks, dtype=np.float64)
    if r.size == 0:
        return dict.fromkeys(METRICS, 0.0)
    return {
        "HR@10": float(np.mean(r <= 10)),
        "NDCG@10": float(np.mean(np.where(r <= 10, 1.0 / np.log2(r + 1.0), 0.0))),
        "MRR@100": float(np.mean(np.where(r <= 100, 1.0 / r, 0.0))),
    }


def rank_all(
    score_fn: Callable[[Sequence[Sequence[int]]], np.ndarray],
    histories: Sequence[Sequence[int]],
    targets: np.ndarray,
    tie_break: np.ndarray | None = None,
    batch: int = 1000,
) -> np.ndarray:
    """Ranks of every target, scoring users in batches so memory stays bounded."""
    out = np.empty(len(histories), dtype=np.int64)
    for start in range(0, len(histories), batch):
        stop = min(start + batch, len(histories))
        part = histories[start:stop]
        scores = score_fn(part)
        out[start:stop] = target_ranks(scores, part, targets[start:stop], tie_break, True)
    return out

"""Second stage: LambdaMART (LightGBM) re-ranks the blend's top candidates per user.

The blend (models.ShopAssistModel) proposes `candidates` items per history; each (history,
candidate) pair gets the features below, and a ranker learned on held-out next items (the
validation targets in `eval recs`, each user's newest item in the store) orders them. Items
outside the candidates keep the blend's order below every candidate, so scores stay a full
ranking. Features read only the fitted histories, never a target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from retrieval.recs.models import ShopAssistModel, recency_query, rowmax_normalize

Histories = Sequence[Sequence[int]]
BLEND_PARTS = ("sequence", "cooccurrence", "content", "next", "trend")

FEATURES = (
    "blend",  # the first stage's score
    "blend_rank",  # 0 = the blend's first candidate
    "sequence",  # the blend's components, max-normalized per user
    "cooccurrence",
    "content",
    "next",
    "trend",
    "sequence_raw",  # the sequence component before normalization
    "sequence_user_max",  # how strong the user's strongest transition is
    "after_last",  # times the candidate directly followed the user's newest item
    "after_last_share",  # ... as a share of everything that followed it
    "before_last",  # times the candidate directly preceded the newest item
    "after_second",  # times it directly followed the second newest item
    "after_third",
    "title_last",  # title similarity to the newest item
    "title_second",
    "log_pop",  # log(1 + occurrences)
    "trend_slow",  # recency-weighted occurrences, decay 0.9 per step from a history's end
    "history_length",
    "log_pop_last",
    "steps_from_end",  # mean steps between the candidate and the end of histories holding it
    "position",  # mean relative position in histories (0 = newest, 1 = oldest)
    "position_gap",  # position minus the newest item's position: newer or older than it
    "position_last",
    "neural",  # SASRec logit minus the user's top logit (0 without a neural model)
    "neural_rank",  # its rank among the candidates
)


@dataclass
class RerankConfig:
    candidates: int = 100
    trees: int = 250
    learning_rate: float = 0.05
    leaves: int = 15
    min_child_samples: int = 200
    truncation: int = 60  # LambdaMART pairs need one item in the current top `truncation`
    seed: int = 0
    batch: int = 1000  # histories per feature batch (memory: batch x items floats per part)

    def to_dict(self) -> dict:
        return asdict(self)


def _pairs(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """matrix[rows[i], cols[i]] for every i; rows of -1 give 0."""
    ok = rows >= 0
    out = np.zeros(rows.size, dtype=np.float32)
    if ok.any():
        out[ok] = np.asarray(matrix[rows[ok], cols[ok]]).ravel()
    return out


def _cosine(titles: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Title cosine (rows are L2-normalized) of items rows[i] and cols[i]; rows of -1 give 0."""
    ok = rows >= 0
    out = np.zeros(rows.size, dtype=np.float32)
    if ok.any():
        out[ok] = np.asarray(titles[rows[ok]].multiply(titles[cols[ok]]).sum(axis=1)).ravel()
    return out


def _nth_newest(histories: Histories, k: int) -> np.ndarray:
    return np.asarray([h[-k] if len(h) >= k else -1 for h in histories], dtype=np.int64)


class Reranker:
    """LambdaMART over the blend's candidates. fit() on (model, histories, next items); then
    rerank() any histories scored by a model fitted the same way (e.g. on longer histories)."""

    def __init__(self, config: RerankConfig | None = None) -> None:
        self.config = config or RerankConfig()
        self.booster = None
        self.trained_on = {"histories": 0, "with_target_in_candidates": 0}

    # --- features ---
    def candidates(
        self, model: ShopAssistModel, histories: Histories
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(blend scores with own items at -inf, (b, K) candidates best first, (b*K, F) features)."""
        k = min(self.config.candidates, model.n - 1)
        if k <= 0:
            raise ValueError("re-ranking needs at least two items")
        stats = model.item_stats
        weighted = [name for name, w in model.config.weights.items() if w]
        names = [p for p in dict.fromkeys([*BLEND_PARTS, *weighted]) if p != "sequence"]
        parts = model.component_scores(histories, tuple(names))
        cfg = model.config  # the sequence part once, raw (a feature) and normalized
        raw = recency_query(histories, model.n, cfg.query_last, cfg.query_decay) @ model.sequence
        raw = raw.toarray()
        parts["sequence"] = rowmax_normalize(raw.astype(np.float32), inplace=True)  # a copy
        blend = np.zeros((len(histories), model.n), dtype=np.float32)
        for name, w in model.config.weights.items():
            if w and name in parts:
                blend += np.float32(w) * parts[name]
        rows = np.repeat(np.arange(len(histories)), [len(h) for h in histories])
        cols = np.fromiter((i for h in histories for i in h), dtype=np.int64, count=rows.size)
        blend[rows, cols] = -np.inf
        # equal blend scores (often 0: no evidence at all) go to the more popular item, as in
        # the metrics' tie-break
        key = blend + np.float32(1e-6) * (stats.log_pop / max(stats.log_pop.max(), 1.0))[None, :]
        cand = np.argpartition(-key, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(key, cand, 1), axis=1, kind="stable")
        cand = np.take_along_axis(cand, order, 1)
        return blend, cand, self._features(model, stats, histories, blend, parts, raw, cand)

    def _features(self, model, stats, histories, blend, parts, raw, cand) -> np.ndarray:
        b, k = cand.shape
        flat = cand.ravel()
        per_user = lambda v: np.repeat(np.asarray(v, dtype=np.float32), k)  # noqa: E731
        at = lambda a: np.take_along_axis(a, cand, 1).ravel()  # noqa: E731
        last, second, third = (np.repeat(_nth_newest(histories, j), k) for j in (1, 2, 3))
        titles = model.titles
        no_titles = titles is None
        last_item = _nth_newest(histories, 1)
        known = last_item >= 0
        pos_last = np.where(known, stats.position[np.maximum(last_item, 0)], 0.5)
        after_last = _pairs(stats.after, last, flat)
        neural = np.zeros((b, k), dtype=np.float32)
        if model.neural is not None:
            logits = model.neural.score(histories)
            neural = np.take_along_axis(logits, cand, 1) - logits.max(axis=1, keepdims=True)
        neural_rank = np.argsort(np.argsort(-neural, axis=1, kind="stable"), axis=1)
        cols = {
            "blend": at(blend),
            "blend_rank": np.tile(np.arange(k, dtype=np.float32), b),
            **{name: at(parts[name]) if name in parts else np.zeros(b * k, np.float32)
               for name in BLEND_PARTS},
            "sequence_raw": at(raw),
            "sequence_user_max": per_user(raw.max(axis=1)),
            "after_last": after_last,
            "after_last_share": after_last / np.where(last >= 0, stats.out_degree[last], 1.0),
            "before_last": _pairs(stats.before, last, flat),
            "after_second": _pairs(stats.after, second, flat),
            "after_third": _pairs(stats.after, third, flat),
            "title_last": np.zeros(b * k, np.float32) if no_titles else _cosine(titles, last, flat),
            "title_second": np.zeros(b * k, np.float32)
            if no_titles
            else _cosine(titles, second, flat),
            "log_pop": stats.log_pop[flat],
            "trend_slow": stats.trend_slow[flat],
            "history_length": per_user([len(h) for h in histories]),
            "log_pop_last": per_user(np.where(known, stats.log_pop[np.maximum(last_item, 0)], 0)),
            "steps_from_end": stats.steps_from_end[flat],
            "position": stats.position[flat],
            "position_gap": stats.position[flat] - np.repeat(pos_last, k),
            "position_last": per_user(pos_last),
            "neural": neural.ravel(),
            "neural_rank": neural_rank.ravel(),
        }  # fmt: skip
        return np.stack([np.asarray(cols[f], dtype=np.float32) for f in FEATURES], axis=1)

    # --- training and scoring ---
    def fit(self, model: ShopAssistModel, histories: Histories, targets: np.ndarray) -> Reranker:
        """Learn from histories whose next item (target) the model was NOT fitted on."""
        return self.train([self.examples(model, histories, targets)])

    def examples(
        self, model: ShopAssistModel, histories: Histories, targets: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Training rows of the histories whose target is among their candidates (a group
        without its target teaches LambdaMART nothing): features, labels, histories seen."""
        xs, ys = [], []
        for lo in range(0, len(histories), self.config.batch):
            part = histories[lo : lo + self.config.batch]
            _, cand, feats = self.candidates(model, part)
            label = cand == np.asarray(targets[lo : lo + self.config.batch])[:, None]
            hit = label.any(axis=1)
            xs.append(feats.reshape(len(part), cand.shape[1], -1)[hit].reshape(-1, feats.shape[1]))
            ys.append(label[hit].ravel())
        return np.concatenate(xs), np.concatenate(ys).astype(np.float32), len(histories)

    def train(self, sets: list[tuple[np.ndarray, np.ndarray, int]]) -> Reranker:
        """Fit the ranker on examples() of one or more (model, histories, targets) sets."""
        import lightgbm as lgb

        cfg = self.config
        x = np.concatenate([s[0] for s in sets])
        y = np.concatenate([s[1] for s in sets])
        groups = int(y.sum())
        self.trained_on = {
            "histories": sum(s[2] for s in sets),
            "with_target_in_candidates": groups,
        }
        if groups == 0:
            self.booster = None
            return self
        params = {
            "objective": "lambdarank",
            "learning_rate": cfg.learning_rate,
            "num_leaves": cfg.leaves,
            "min_data_in_leaf": min(cfg.min_child_samples, max(groups // 4, 1)),
            "lambdarank_truncation_level": cfg.truncation,
            "seed": cfg.seed,
            "deterministic": True,
            "num_threads": 0,
            "verbose": -1,
        }
        data = lgb.Dataset(x, y, group=[len(y) // groups] * groups, feature_name=list(FEATURES))
        self.booster = lgb.train(params, data, num_boost_round=cfg.trees)
        return self

    def rerank(self, model: ShopAssistModel, histories: Histories) -> np.ndarray:
        """(b, n) scores: candidates in the ranker's order above everything else, which keeps
        the blend's order; the history's own items are -inf."""
        blend, cand, feats = self.candidates(model, histories)
        if self.booster is None:
            return blend
        pred = self.booster.predict(feats).reshape(cand.shape)
        order = np.argsort(-pred, axis=1, kind="stable")
        k = cand.shape[1]
        top = np.isfinite(blend).any(axis=1)
        finite_max = np.where(np.isfinite(blend), blend, -np.inf).max(axis=1)
        lift = np.where(top, finite_max, 0.0)[:, None] + 1.0 + (k - np.arange(k))[None, :]
        scores = blend.copy()
        ranked = np.take_along_axis(cand, order, 1)
        ok = np.isfinite(np.take_along_axis(blend, ranked, 1))
        np.put_along_axis(scores, ranked, np.where(ok, lift, -np.inf).astype(np.float32), 1)
        return scores

    def importance(self) -> dict[str, float]:
        if self.booster is None:
            return {}
        gain = self.booster.feature_importance("gain")
        total = float(gain.sum()) or 1.0
        return {f: round(float(g) / total, 4) for f, g in zip(FEATURES, gain, strict=True)}

"""Next-item models on integer item sequences: popularity, co-occurrence baseline, ShopAssist blend.

Every model is fitted from chronological histories only (lists of item indices in 0..n-1) and
scores a batch of histories as a dense (batch, n_items) float32 array; excluding the user's own
items is the caller's job (see metrics.target_ranks and recommend.Recommender).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp

from retrieval.recs.sequential import SASRecConfig, SASRecModel

Histories = Sequence[Sequence[int]]

# Blend weights learned on the amazon_games valid split (see README "Recommendation evaluation").
DEFAULT_WEIGHTS = {
    "sequence": 1.0,
    "cooccurrence": 0.75,
    "content": 0.5,
    "next": 0.0,
    "trend": 0.05,
    "neural": 0.0,  # SASRec; only fitted when ShopAssistConfig.neural_epochs > 0
}


def _flat(seqs: Histories) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All items concatenated, the sequence id of each, and its age (0 = the newest)."""
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    items = np.fromiter((i for s in seqs for i in s), dtype=np.int64, count=int(lengths.sum()))
    owner = np.repeat(np.arange(len(seqs)), lengths)
    ends = np.cumsum(lengths)
    age = np.repeat(ends, lengths) - 1 - np.arange(items.size)
    return items, owner, age


def transition_matrix(
    seqs: Histories, n: int, window: int, decay: float = 1.0, backward: float = 0.0
) -> sp.csr_matrix:
    """C[a, b] = sum of decay**(d-1) over b following a within `window` steps (+ backward * C.T)."""
    items, owner, _ = _flat(seqs)
    src, dst, val = [], [], []
    for d in range(1, window + 1):
        same = owner[:-d] == owner[d:]
        src.append(items[:-d][same])
        dst.append(items[d:][same])
        val.append(np.full(int(same.sum()), decay ** (d - 1), dtype=np.float32))
    mat = sp.csr_matrix(
        (np.concatenate(val), (np.concatenate(src), np.concatenate(dst))), shape=(n, n)
    )
    if backward:
        mat = (mat + backward * mat.T).tocsr()
    mat.setdiag(0)
    mat.eliminate_zeros()
    return mat


def cooccurrence_matrix(seqs: Histories, n: int) -> sp.csr_matrix:
    """G[a, b] = how many histories hold both a and b (a != b)."""
    items, owner, _ = _flat(seqs)
    x = sp.csr_matrix((np.ones(items.size, np.float32), (owner, items)), shape=(len(seqs), n))
    x.data[:] = 1.0  # an item twice in one history counts once
    gram = (x.T @ x).tocsr()
    gram.setdiag(0)
    gram.eliminate_zeros()
    return gram


def popularity(seqs: Histories, n: int, decay: float = 1.0) -> np.ndarray:
    """Occurrences per item; with decay < 1 an occurrence counts decay**age (newest = 1)."""
    items, _, age = _flat(seqs)
    weights = np.power(decay, age) if decay != 1.0 else np.ones(items.size)
    return np.bincount(items, weights=weights, minlength=n).astype(np.float64)


def damp(mat: sp.csr_matrix, pop: np.ndarray, src: float = 0.0, dst: float = 0.0):
    """Divide rows by pop**src and columns by pop**dst (popularity damping)."""
    p = np.maximum(pop, 1.0)
    left = sp.diags((1.0 / p**src).astype(np.float32))
    right = sp.diags((1.0 / p**dst).astype(np.float32))
    return (left @ mat @ right).tocsr()


def recency_query(histories: Histories, n: int, last: int, decay: float | None) -> sp.csr_matrix:
    """One row per history: its newest `last` items weighted decay**age (None: 1/(1+age))."""
    items, owner, age = _flat(histories)
    keep = age < last
    a = age[keep].astype(np.float64)
    weight = 1.0 / (1.0 + a) if decay is None else np.power(decay, a)
    return sp.csr_matrix(
        (weight.astype(np.float32), (owner[keep], items[keep])), shape=(len(histories), n)
    )


def title_features(titles: Sequence[str]) -> sp.csr_matrix:
    """L2-normalized character 3-4-gram TF-IDF of titles (platform and series names match)."""
    import html

    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [html.unescape(t or "") for t in titles]
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4), sublinear_tf=True, min_df=2)
    try:
        return vec.fit_transform(texts).astype(np.float32).tocsr()
    except ValueError:  # too few titles for min_df: no content signal
        return sp.csr_matrix((len(texts), 1), dtype=np.float32)


class TitleIndex:
    """Title features and each item's `neighbours` most title-similar items (cosine, sparse).

    The content component reads the neighbour graph: a history's score for an item is the
    recency-weighted similarity of its items to it, without a sparse product over n-grams per
    query. Built once per catalog and shared by models fitted on different histories."""

    def __init__(self, titles: Sequence[str], neighbours: int = 50, batch: int = 1000) -> None:
        self.features = title_features(titles)
        n = self.features.shape[0]
        k = min(neighbours, n - 1)
        rows, cols, vals = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)]
        for lo in range(0, n if k > 0 else 0, batch):
            sims = (self.features[lo : lo + batch] @ self.features.T).toarray()
            sims[np.arange(sims.shape[0]), np.arange(lo, lo + sims.shape[0])] = 0.0  # not itself
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            rows.append(np.repeat(np.arange(lo, lo + sims.shape[0]), k))
            cols.append(top.ravel())
            vals.append(np.take_along_axis(sims, top, 1).ravel())
        self.neighbours = sp.csr_matrix(
            (np.concatenate(vals).astype(np.float32), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n, n),
        )
        self.neighbours.eliminate_zeros()
        self._dense: dict[int, np.ndarray] = {}

    def dense(self, dim: int) -> np.ndarray:
        """(n, <= dim) L2-normalized truncated SVD of the title features (cached per dim);
        fewer columns when the features have fewer, one zero column when there are none."""
        if dim not in self._dense:
            from sklearn.decomposition import TruncatedSVD

            n, width = self.features.shape
            dim_ok = min(dim, width - 1, n - 1)
            if dim_ok < 1:
                self._dense[dim] = np.zeros((n, 1), dtype=np.float32)
            else:
                z = TruncatedSVD(dim_ok, random_state=0).fit_transform(self.features)
                z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-9)
                self._dense[dim] = z.astype(np.float32)
        return self._dense[dim]


def rowmax_normalize(scores: np.ndarray, inplace: bool = False) -> np.ndarray:
    """Scale each row to a max of 1 (rows with no positive score stay as they are)."""
    top = scores.max(axis=1, keepdims=True)
    top[top <= 0] = 1.0
    if inplace:
        scores /= top
        return scores
    return scores / top


class PopularityModel:
    """Every user gets the most frequent items."""

    name = "popularity"

    def fit(self, seqs: Histories, n: int) -> PopularityModel:
        self.pop = popularity(seqs, n).astype(np.float32)
        return self

    def score(self, histories: Histories) -> np.ndarray:
        return np.broadcast_to(self.pop, (len(histories), self.pop.size)).copy()


class CooccurrenceBaseline:
    """Transitions within a window of 3 (both directions, unweighted), scored from the newest 5
    history items weighted 1/(1+age)."""

    name = "cooccurrence"
    window, last = 3, 5

    def fit(self, seqs: Histories, n: int) -> CooccurrenceBaseline:
        self.n = n
        self.mat = transition_matrix(seqs, n, self.window, backward=1.0)
        return self

    def score(self, histories: Histories) -> np.ndarray:
        query = recency_query(histories, self.n, self.last, None)
        return (query @ self.mat).toarray()


@dataclass
class ShopAssistConfig:
    """Shape of each component; the blend weights are learned on the validation split."""

    window: int = 10  # sequence component: neighbours up to this many steps apart
    window_decay: float = 0.8  # weight of a neighbour d steps away: decay**(d-1)
    backward: float = 1.0  # weight of "a came after b" relative to "b came after a"
    source_damping: float = 0.3  # rows divided by pop**damping: popular history items say less
    query_last: int = 50  # history items that vote
    query_decay: float = 0.7  # vote of an item `age` steps back: decay**age
    cooc_decay: float = 0.8  # same, for the whole-history co-occurrence (cosine) component
    content_last: int = 5
    content_decay: float = 0.5
    trend_decay: float = 0.5  # "popular right now": occurrences near the end of histories
    neural_epochs: int = 0  # SASRec training epochs; 0 = no neural component (product default)
    neural_finetune_epochs: int = 3  # epochs when warm-starting from an already trained SASRec
    neural_temperature: float = 4.0  # neural component = exp((logit - row max) / temperature)
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def to_dict(self) -> dict:
        return asdict(self)


class ShopAssistModel:
    """Blend of sequential transitions, cosine co-occurrence, title similarity and a trend prior.

    Each component's scores are scaled per user to a max of 1 before the weighted sum, so the
    weights compare like with like.
    """

    name = "shopassist"
    components = ("sequence", "cooccurrence", "content", "next", "trend", "neural")

    def __init__(self, config: ShopAssistConfig | None = None, reranker=None) -> None:
        self.config = config or ShopAssistConfig()
        self.reranker = reranker  # a trained rerank.Reranker: score() re-ranks the top candidates

    def fit(
        self,
        seqs: Histories,
        n: int,
        titles: Sequence[str] | TitleIndex | None = None,
        neural: SASRecModel | None = None,
    ) -> ShopAssistModel:
        """Fit every component on `seqs`. `titles`: the item titles, or their TitleIndex.
        `neural`: a SASRec already trained on histories that `seqs` extend (e.g. the valid fit);
        it is fine-tuned on `seqs` instead of trained anew."""
        cfg = self.config
        self.n = n
        self.pop = popularity(seqs, n)
        trans = transition_matrix(seqs, n, cfg.window, cfg.window_decay, cfg.backward)
        self.sequence = damp(trans, self.pop, src=cfg.source_damping)
        self.next = damp(transition_matrix(seqs, n, 1), self.pop, src=cfg.source_damping)
        self.cooc = damp(cooccurrence_matrix(seqs, n), self.pop, src=0.5, dst=0.5)
        if titles is not None and not isinstance(titles, TitleIndex):
            titles = TitleIndex(titles)
        self.title_index = titles
        self.titles = titles.features if titles is not None else None
        trend = popularity(seqs, n, cfg.trend_decay)
        self.trend = (trend / max(trend.max(), 1e-9)).astype(np.float32)
        self.neural = None
        if neural is not None:
            self.neural = neural.fit(seqs, n, epochs=cfg.neural_finetune_epochs)
        elif cfg.neural_epochs > 0:
            sasrec = SASRecModel(SASRecConfig(epochs=cfg.neural_epochs))
            dim = sasrec.config.content_dim
            content = titles.dense(dim) if titles is not None and dim else None
            self.neural = sasrec.fit(seqs, n, content=content)
        self.item_stats = ItemStats(self, seqs)
        return self

    def component_scores(self, histories: Histories, names=None) -> dict[str, np.ndarray]:
        """Per-user max-normalized scores of each component, (batch, n) float32 each."""
        cfg, n, out = self.config, self.n, {}
        names = names or self.components
        if "sequence" in names:
            q = recency_query(histories, n, cfg.query_last, cfg.query_decay)
            out["sequence"] = (q @ self.sequence).toarray()
        if "cooccurrence" in names:
            q = recency_query(histories, n, cfg.query_last, cfg.cooc_decay)
            out["cooccurrence"] = (q @ self.cooc).toarray()
        if "next" in names:
            out["next"] = (recency_query(histories, n, 1, None) @ self.next).toarray()
        if "content" in names and self.title_index is not None:
            q = recency_query(histories, n, cfg.content_last, cfg.content_decay)
            out["content"] = (q @ self.title_index.neighbours).toarray()
        if "neural" in names and self.neural is not None:
            logits = self.neural.score(histories)
            logits -= logits.max(axis=1, keepdims=True)
            out["neural"] = np.exp(logits / np.float32(cfg.neural_temperature))
        if "trend" in names:
            out["trend"] = np.broadcast_to(self.trend, (len(histories), n)).copy()
        # every part is a fresh array: normalize in place
        return {
            k: rowmax_normalize(v.astype(np.float32, copy=False), inplace=True)
            for k, v in out.items()
        }

    def score(self, histories: Histories, weights: dict[str, float] | None = None) -> np.ndarray:
        """(batch, n) scores: the blend, re-ranked by the reranker when there is one (and no
        other weights are asked for)."""
        if self.reranker is not None and weights is None:
            return self.reranker.rerank(self, histories)
        weights = self.config.weights if weights is None else weights
        used = [k for k, w in weights.items() if w]
        parts = self.component_scores(histories, used)
        total = np.zeros((len(histories), self.n), dtype=np.float32)
        for name, part in parts.items():
            total += np.float32(weights[name]) * part
        return total


class ItemStats:
    """Per-item statistics of the fitted histories that the reranker's features read."""

    def __init__(self, model: ShopAssistModel, seqs: Histories) -> None:
        n = model.n
        self.after = transition_matrix(seqs, n, 1)  # raw counts: b directly after a
        self.before = self.after.T.tocsr()
        self.out_degree = np.asarray(self.after.sum(axis=1)).ravel() + 1.0
        items, owner, age = _flat(seqs)
        counts = np.maximum(np.bincount(items, minlength=n), 1)
        lengths = np.bincount(owner, minlength=len(seqs))
        rel = age / np.maximum(lengths[owner] - 1, 1)
        self.steps_from_end = np.bincount(items, weights=age, minlength=n) / counts
        self.position = np.bincount(items, weights=rel, minlength=n) / counts
        self.log_pop = np.log1p(model.pop)
        slow = popularity(seqs, n, 0.9)
        self.trend_slow = slow / max(slow.max(), 1e-9)

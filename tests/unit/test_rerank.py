"""The LambdaMART second stage: it learns what the blend misses, and keeps a full ranking."""

from __future__ import annotations

import numpy as np

from retrieval.recs.metrics import metrics_from_ranks, target_ranks
from retrieval.recs.models import ShopAssistConfig, ShopAssistModel
from retrieval.recs.rerank import RerankConfig, Reranker

WORDS = ["amber", "bison", "cobalt", "dingo", "ember", "fjord", "gecko", "harbor", "iris", "jackal"]


def _series_world(seed: int = 0):
    """30 series x 4 episodes. Histories are 3 random items; the next item is always another
    episode of the newest item's series, which only titles reveal (histories carry no order)."""
    rng = np.random.default_rng(seed)
    names = [f"{WORDS[s % 10]} {WORDS[(s // 10) + 3]}" for s in range(30)]
    titles = [f"{names[s]} saga episode {p}" for s in range(30) for p in range(4)]
    histories, targets = [], []
    for _ in range(700):
        hist = [int(i) for i in rng.choice(120, size=3, replace=False)]
        series = hist[-1] // 4
        options = [series * 4 + p for p in range(4) if series * 4 + p not in hist]
        histories.append(hist)
        targets.append(int(rng.choice(options)))
    return titles, histories, np.asarray(targets)


def test_reranker_learns_a_signal_the_blend_weights_leave_out():
    titles, histories, targets = _series_world()
    # the blend sees transitions and popularity only (no title component)
    config = ShopAssistConfig(weights={"sequence": 1.0, "trend": 0.5})
    model = ShopAssistModel(config).fit(histories, 120, titles)
    learn, held = slice(0, 500), slice(500, 700)
    reranker = Reranker(RerankConfig(trees=100)).fit(model, histories[learn], targets[learn])
    assert reranker.trained_on["with_target_in_candidates"] > 300

    def ndcg(scores):
        ranks = target_ranks(scores, histories[held], targets[held], model.pop)
        return metrics_from_ranks(ranks)["NDCG@10"]

    blend = ndcg(model.score(histories[held]))
    model.reranker = reranker
    reranked = ndcg(model.score(histories[held]))
    assert blend < 0.15 and reranked > 0.5, (blend, reranked)
    assert reranker.importance()["title_last"] == max(reranker.importance().values())


def test_reranked_scores_stay_a_full_ranking():
    titles, histories, targets = _series_world(seed=1)
    model = ShopAssistModel().fit(histories, 120, titles)
    reranker = Reranker(RerankConfig(candidates=20, trees=20)).fit(model, histories, targets)
    model.reranker = reranker
    some = histories[:50]
    scores = model.score(some)
    blend, cand, _ = reranker.candidates(model, some)
    for row, hist in enumerate(some):
        assert np.isneginf(scores[row, hist]).all()  # own items never come back
        order = np.argsort(-scores[row], kind="stable")
        assert set(order[:20]) == set(cand[row])  # candidates first, in the ranker's order
        rest = order[20 : 120 - len(hist)]
        assert (np.diff(blend[row, rest]) <= 0).all()  # everything else keeps the blend's order


def test_no_target_among_candidates_leaves_the_blend_as_it_is():
    titles, histories, _ = _series_world(seed=2)
    model = ShopAssistModel().fit(histories, 120, titles)
    reranker = Reranker().fit(model, histories[:10], np.asarray([h[0] for h in histories[:10]]))
    assert reranker.booster is None and reranker.trained_on["with_target_in_candidates"] == 0
    expected = model.score(histories[:5])
    for row, hist in enumerate(histories[:5]):
        expected[row, hist] = -np.inf  # the blend, the history's own items left out
    np.testing.assert_array_equal(reranker.rerank(model, histories[:5]), expected)

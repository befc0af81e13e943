"""Pure ranking helpers: fusion, top-k, MMR."""

import numpy as np

from retrieval.search.ranking import fuse, minmax, mmr, top_k


def test_top_k_orders_best_first_and_breaks_ties_by_position():
    scores = np.array([0.1, 0.9, 0.5, 0.9, 0.2])
    assert top_k(scores, 3).tolist() == [1, 3, 2]
    assert top_k(scores, 10).tolist() == [1, 3, 2, 4, 0]


def test_fuse_adds_weighted_lexical_only_where_terms_matched():
    dense = np.array([0.5, 0.4, 0.3])
    lexical = np.array([0.0, 2.0, 1.0])
    out = fuse(dense, lexical, 0.5)
    assert np.allclose(out, [0.5, 0.9, 0.55])


def test_minmax_of_constant_is_zero():
    assert minmax(np.array([3.0, 3.0])).tolist() == [0.0, 0.0]


def test_mmr_skips_a_near_duplicate_of_the_first_pick():
    a = np.array([1.0, 0.0])
    near_a = np.array([0.999, 0.0447])
    b = np.array([0.0, 1.0])
    vectors = np.stack([a, near_a, b])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = np.array([1.0, 0.95, 0.9])
    assert mmr(vectors, scores, 2, lam=0.6) == [0, 2]
    assert mmr(vectors, scores, 2, lam=1.0) == [0, 1]

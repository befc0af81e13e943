"""Full-ranking metrics on hand-made slices, history exclusion, and no target leakage in fitting."""

from __future__ import annotations

import math

import numpy as np
import pytest

from retrieval.recs.metrics import metrics_from_ranks, rank_all, target_ranks


def test_metrics_equal_hand_computed_values():
    # 3 users x 14 items. History items get the highest scores: they must not count.
    scores = np.zeros((3, 14))
    scores[0] = np.arange(14)[::-1]  # item 0 best ... item 13 worst
    scores[1] = np.arange(14)[::-1]
    scores[2] = np.arange(14)[::-1]
    histories = [[0, 1], [0], [5]]
    targets = np.array([2, 3, 12])
    # user 0: items 0,1 excluded -> item 2 is rank 1
    # user 1: item 0 excluded -> items 1, 2 above item 3 -> rank 3
    # user 2: item 5 excluded -> 11 items (0-4, 6-11) above item 12 -> rank 12
    ranks = target_ranks(scores, histories, targets)
    assert ranks.tolist() == [1, 3, 12]
    m = metrics_from_ranks(ranks)
    assert m["HR@10"] == pytest.approx(2 / 3)
    assert m["NDCG@10"] == pytest.approx((1.0 + 1.0 / math.log2(4)) / 3)
    assert m["MRR@100"] == pytest.approx((1.0 + 1 / 3 + 1 / 12) / 3)


def test_mrr_is_truncated_at_100_and_hr_at_10():
    m = metrics_from_ranks(np.array([10, 11, 100, 101]))
    assert m["HR@10"] == pytest.approx(0.25)
    assert m["NDCG@10"] == pytest.approx(1.0 / math.log2(11) / 4)
    assert m["MRR@100"] == pytest.approx((1 / 10 + 1 / 11 + 1 / 100) / 4)


def test_ties_rank_above_the_target_unless_the_tie_break_says_otherwise():
    scores = np.array([[1.0, 1.0, 1.0, 0.0]])
    assert target_ranks(scores, [[]], np.array([1])).tolist() == [3]  # pessimistic
    popularity = np.array([5.0, 9.0, 1.0, 0.0])
    assert target_ranks(scores, [[]], np.array([1]), popularity).tolist() == [1]
    assert target_ranks(scores, [[]], np.array([2]), popularity).tolist() == [3]


def test_history_items_never_outrank_the_target_in_batches():
    scores = np.tile(np.linspace(1.0, 0.0, 20), (5, 1))
    histories = [[0, 1, 2, 3]] * 5
    ranks = rank_all(lambda part: scores[: len(part)], histories, np.full(5, 4), batch=2)
    assert ranks.tolist() == [1] * 5


def _write_atomic(folder, n_users=20, n_fillers=40):
    """Every test target is item X, which appears in no history: only a leaking fit knows it.

    The first n_users walk items 0-27; the filler users walk 200 filler items, so that well over
    100 seen items outrank an unseen one in the blend and X never reaches the re-ranker's
    candidates unless it leaked."""
    folder.mkdir()
    titles = [f"Game {i} - PlayStation 4" for i in range(29)] + ["Zebra Xylophone Deluxe"]
    titles += [f"Filler {i} - Xbox One" for i in range(200)]
    (folder / "items.tsv").write_text(
        "item_id:token\ttitle:token_seq\n" + "".join(f"{i}\t{t}\n" for i, t in enumerate(titles))
    )
    valid, test = [], []
    for u in range(n_users):
        # valid targets (20-27) also open other histories: "never seen" is no pattern to learn
        a, b, c, d = u % 10, 10 + u % 9, 20 + u % 8, 20 + (u + 3) % 8
        valid.append(f"{u}\t{d} {a} {b}\t{c}\n")
        test.append(f"{u}\t{d} {a} {b} {c}\t29\n")
    for j in range(n_fillers):
        walk = " ".join(str(30 + (5 * j + t) % 200) for t in range(5))
        nxt = 30 + (5 * j + 5) % 200
        valid.append(f"{n_users + j}\t{walk}\t{nxt}\n")
        test.append(f"{n_users + j}\t{walk} {nxt}\t29\n")
    header = "user_id:token\titem_id_list:token_seq\titem_id:token\n"
    (folder / "valid.tsv").write_text(header + "".join(valid))
    (folder / "test.tsv").write_text(header + "".join(test))


def test_eval_never_fits_on_targets(tmp_path):
    from assistant.evals.recs import load_atomic, run_recs_eval
    from retrieval.recs.models import ShopAssistModel

    _write_atomic(tmp_path / "atomic")
    result = run_recs_eval(tmp_path / "atomic")
    for name in ("shopassist", "cooccurrence", "popularity"):
        assert result["models"][name]["HR@10"] == 0.0, (name, result["models"])

    # The same model fitted with the targets appended (a leak) ranks X first for everyone.
    data = load_atomic(tmp_path / "atomic")
    leaked = [h + [int(t)] for h, t in zip(data.test.histories, data.test.targets, strict=True)]
    model = ShopAssistModel().fit(leaked, len(data.tokens), data.titles)
    ranks = target_ranks(model.score(data.test.histories), data.test.histories, data.test.targets)
    assert (ranks == 1).all()


def test_eval_result_shape(tmp_path):
    from assistant.evals.recs import run_recs_eval

    _write_atomic(tmp_path / "atomic")
    result = run_recs_eval(tmp_path / "atomic", sample_users=10)
    assert result["dataset"]["scored_users"] == 10 and result["dataset"]["users"] == 60
    assert set(result["models"]) == {"shopassist", "popularity", "cooccurrence"}
    for m in result["models"].values():
        assert set(m) == {"HR@10", "NDCG@10", "MRR@100"}
    assert "sequence" in result["blend"]["weights"] and "never" in result["protocol"]


def test_sasrec_learns_a_deterministic_successor_and_is_reproducible():
    from retrieval.recs.sequential import SASRecConfig, SASRecModel

    # 12 items in a cycle: every history walks i, i+1, i+2, ... (mod 12)
    seqs = [[(s + k) % 12 for k in range(2 + s % 5)] for s in range(120)]
    cfg = SASRecConfig(dim=16, max_len=8, dropout=0.0, epochs=30, batch_size=32, lr=1e-2)
    histories = [[3, 4, 5], [10, 11], [7]]
    scores = SASRecModel(cfg).fit(seqs, 12).score(histories)
    assert scores.shape == (3, 12) and scores.argmax(axis=1).tolist() == [6, 0, 8]
    again = SASRecModel(cfg).fit(seqs, 12).score(histories)
    np.testing.assert_allclose(scores, again, rtol=1e-5, atol=1e-5)
    cfg.negatives = 4  # sampled softmax path
    assert SASRecModel(cfg).fit(seqs, 12).score([[]]).shape == (1, 12)


def test_sasrec_content_vectors_carry_a_pattern_to_items_never_seen():
    from retrieval.recs.sequential import SASRecConfig, SASRecModel

    # 30 series of two items (first, second); both items of a series share a content vector.
    # Histories walk first -> second of series 0-24; series 25-29 never occur.
    rng = np.random.default_rng(0)
    content = np.repeat(rng.normal(size=(30, 8)), 2, axis=0)
    content /= np.linalg.norm(content, axis=1, keepdims=True)
    seqs = [[2 * s, 2 * s + 1] for s in range(25) for _ in range(4)]
    cfg = SASRecConfig(dim=16, max_len=4, dropout=0.0, epochs=40, batch_size=32, lr=1e-2,
                       negatives=0, content_dim=8)  # fmt: skip
    cold = np.arange(25, 30) * 2

    def mate_ranks(model):  # where each cold first item's series mate ranks, its own item out
        scores = model.score([[int(i)] for i in cold])
        scores[np.arange(cold.size), cold] = -np.inf
        ranks = np.argsort(np.argsort(-scores, axis=1), axis=1)
        return ranks[np.arange(cold.size), cold + 1]

    assert mate_ranks(SASRecModel(cfg).fit(seqs, 60, content=content)).max() <= 5
    cfg.content_dim = 0  # ids alone know nothing of the cold series: 59 items to choose from
    assert mate_ranks(SASRecModel(cfg).fit(seqs, 60, content=content)).min() >= 10

"""`shopassist eval recs`: fit on histories, tune the blend on valid, score test by full ranking."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.recs.metrics import METRICS, metrics_from_ranks, rank_all, target_ranks
from retrieval.recs.models import (
    CooccurrenceBaseline,
    PopularityModel,
    ShopAssistConfig,
    ShopAssistModel,
    TitleIndex,
    popularity,
)
from retrieval.recs.rerank import Reranker

PROTOCOL = (
    "Leave-one-out next-item prediction on RecBole-style atomic files. Models are fitted on "
    "histories only: to tune, on every user's valid history (valid targets never seen); to "
    "score, on every user's test history (which ends with the valid target; test targets never "
    "seen). The ShopAssist blend weights are learned on valid (coordinate ascent on NDCG@10 over "
    "a deterministic user sample), then its LambdaMART re-ranker is trained on validation data "
    "only: each user's valid target among the blend's top candidates (models fitted on valid "
    "histories) and each valid history's newest item (models fitted on the valid histories "
    "without it); both are applied unchanged to models fitted on the test histories. Every test "
    "user's target is "
    "ranked against all items minus the user's own history items; ties are broken toward the "
    "item more popular in the fitted histories. HR@10, NDCG@10 and MRR@100 (reciprocal rank, 0 "
    "beyond 100) are averaged over the scored users."
)
GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
NEURAL_EPOCHS = 10  # SASRec epochs on the shortest valid histories (then fine-tuned per set)
RERANK_LEVELS = 2  # re-ranker example sets: valid targets, and newest valid-history items


@dataclass
class Split:
    """One atomic split: user ids, histories (item indices, oldest first) and targets."""

    users: list[str]
    histories: list[list[int]]
    targets: np.ndarray

    def take(self, rows: np.ndarray) -> Split:
        return Split(
            [self.users[i] for i in rows], [self.histories[i] for i in rows], self.targets[rows]
        )


@dataclass
class Dataset:
    """Item vocabulary (token -> index), titles, and the valid and test splits."""

    tokens: list[str]
    titles: list[str]
    valid: Split
    test: Split


def _columns(header: str) -> dict[str, int]:
    return {name.split(":")[0]: i for i, name in enumerate(header.rstrip("\n").split("\t"))}


def load_atomic(folder: Path) -> Dataset:
    """Read items.tsv, valid.tsv and test.tsv (RecBole atomic, tab-separated, typed headers)."""
    folder = Path(folder)
    missing = [f for f in ("items.tsv", "valid.tsv", "test.tsv") if not (folder / f).exists()]
    if missing:
        msg = f"{folder} lacks {', '.join(missing)}; expected RecBole atomic files"
        raise FileNotFoundError(msg)
    tokens, titles, index = [], [], {}
    with open(folder / "items.tsv", encoding="utf-8") as fh:
        cols = _columns(next(fh))
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            index[parts[cols["item_id"]]] = len(tokens)
            tokens.append(parts[cols["item_id"]])
            titles.append(parts[cols["title"]] if "title" in cols else "")

    def idx(token: str) -> int:
        if token not in index:  # an item missing from items.tsv still gets a row
            index[token] = len(tokens)
            tokens.append(token)
            titles.append("")
        return index[token]

    splits = {}
    for name in ("valid", "test"):
        users, hists, targets = [], [], []
        with open(folder / f"{name}.tsv", encoding="utf-8") as fh:
            cols = _columns(next(fh))
            for line in fh:
                parts = line.rstrip("\n").split("\t")
                users.append(parts[cols["user_id"]])
                hists.append([idx(t) for t in parts[cols["item_id_list"]].split()])
                targets.append(idx(parts[cols["item_id"]]))
        splits[name] = Split(users, hists, np.asarray(targets, dtype=np.int64))
    return Dataset(tokens, titles, splits["valid"], splits["test"])


def sample_rows(n: int, k: int | None, seed: int) -> np.ndarray:
    """A deterministic sorted sample of k of n rows (all rows when k is None or >= n)."""
    if k is None or k >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=k, replace=False))


def tune_weights(
    model: ShopAssistModel, split: Split, tie_break: np.ndarray, passes: int = 2
) -> tuple[dict[str, float], float]:
    """Coordinate ascent of the blend weights on NDCG@10 (sequence weight fixed at 1)."""
    parts = model.component_scores(split.histories)
    # the neural component right after sequence: the others are then tuned around it
    order = ("sequence", "neural", *model.components)
    names = [n for n in dict.fromkeys(order) if n in parts]
    shape = parts[names[0]].shape
    stacked = np.empty((len(names), shape[0] * shape[1]), dtype=np.float32)
    for i, name in enumerate(names):  # (components, users * items), one part alive at a time
        stacked[i] = parts.pop(name).ravel()

    def ndcg(weights: dict[str, float]) -> float:
        w = np.asarray([weights[n] for n in names], dtype=np.float32)
        total = (w @ stacked).reshape(shape)
        ranks = target_ranks(total, split.histories, split.targets, tie_break, inplace=True)
        return metrics_from_ranks(ranks)["NDCG@10"]

    weights = {n: (1.0 if n == "sequence" else 0.0) for n in names}
    best = ndcg(weights)
    for _ in range(passes):
        for name in names[1:]:
            for value in GRID:
                trial = {**weights, name: value}
                score = ndcg(trial) if value != weights[name] else best
                if score > best + 1e-6:
                    best, weights = score, trial
    return weights, best


def _fit_reranker(
    data: Dataset, learn: Split, valid_model, titles, epochs: int, say, levels: int = 2
):
    """The re-ranker from `levels` validation sets. Set 0: each learning user's valid target
    (models fitted on the valid histories). Set c >= 1: each one's c-th newest valid-history item
    (models fitted on every valid history without its c newest items). The SASRec, when epochs
    > 0, is trained on the shortest histories and fine-tuned on each longer set in turn, so no
    set's targets were ever trained on."""
    n = len(data.tokens)
    reranker, sets, neural = Reranker(), [], None
    for cut in range(levels - 1, -1, -1):
        if cut == 0:
            model = valid_model
            if neural is not None:
                model.neural = neural.fit(
                    data.valid.histories, n, epochs=model.config.neural_finetune_epochs
                )
            hists, targets = learn.histories, learn.targets
        else:
            say(f"fitting on the valid histories without their {cut} newest item(s)")
            config = ShopAssistConfig(
                weights=valid_model.config.weights, neural_epochs=0 if neural else epochs
            )
            model = ShopAssistModel(config).fit(
                [h[: len(h) - cut] for h in data.valid.histories], n, titles, neural=neural
            )
            keep = [h for h in learn.histories if len(h) > cut]
            hists = [h[: len(h) - cut] for h in keep]
            targets = np.asarray([h[len(h) - cut] for h in keep], dtype=np.int64)
        say(f"building re-ranker examples ({len(hists)} histories)")
        sets.append(reranker.examples(model, hists, targets))
        neural = model.neural
    say("training the re-ranker")
    return reranker.train(sets), neural


def _timed(timings: dict, key: str, fn: Callable):
    start = time.perf_counter()
    out = fn()
    timings[key] = round(time.perf_counter() - start, 2)
    return out


def run_recs_eval(
    folder: Path,
    sample_users: int | None = None,
    seed: int = 0,
    tune_users: int = 5000,
    progress: Callable[[str], None] | None = None,
    neural: bool | None = None,
    rerank: bool = True,
) -> dict:
    """The whole evaluation; returns the result document (see PROTOCOL).

    rerank: train the LambdaMART second stage on every user's valid target (models fitted on
    valid histories) and on the last item of every valid history (models fitted on the valid
    histories without it); with sample_users, on the sampled users only. neural: give the
    re-ranker SASRec features (trained on the shortened valid histories, fine-tuned on the valid
    and then the test histories); default: full runs only, since its training cost does not
    shrink with sample_users."""
    neural = rerank and (sample_users is None if neural is None else neural)
    epochs = NEURAL_EPOCHS if neural else 0
    say = progress or (lambda _msg: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    data = _timed(timings, "load", lambda: load_atomic(folder))
    n = len(data.tokens)
    say(f"loaded {len(data.test.users)} users, {n} items")
    titles = _timed(timings, "titles", lambda: TitleIndex(data.titles))
    tune_rows = sample_rows(
        len(data.valid.users), min(tune_users, sample_users or tune_users), seed
    )
    valid_model = _timed(
        timings, "fit_valid", lambda: ShopAssistModel().fit(data.valid.histories, n, titles)
    )
    say("tuning blend weights on valid")
    tune_split = data.valid.take(tune_rows)
    weights, valid_ndcg = _timed(
        timings, "tune", lambda: tune_weights(valid_model, tune_split, valid_model.pop)
    )
    valid_model.config.weights = weights
    reranker, sasrec = None, None
    if rerank:
        learn = data.valid.take(sample_rows(len(data.valid.users), sample_users, seed))
        reranker, sasrec = _timed(
            timings,
            "fit_reranker",
            lambda: _fit_reranker(data, learn, valid_model, titles, epochs, say, RERANK_LEVELS),
        )
    valid_model = None  # free the valid-fit matrices before fitting on test histories
    test = data.test.take(sample_rows(len(data.test.users), sample_users, seed))
    fit_seqs = data.test.histories  # every user's test history; no test target
    pop = popularity(fit_seqs, n)
    models = {
        "shopassist": ShopAssistModel(ShopAssistConfig(weights=weights), reranker=reranker),
        "popularity": PopularityModel(),
        "cooccurrence": CooccurrenceBaseline(),
    }
    results = {}
    for name, model in models.items():
        say(f"fitting and scoring {name}")
        fit = (
            (lambda m=model: m.fit(fit_seqs, n, titles, neural=sasrec))
            if name == "shopassist"
            else None
        )
        _timed(timings, f"fit_{name}", fit or (lambda m=model: m.fit(fit_seqs, n)))
        ranks = _timed(
            timings,
            f"score_{name}",
            lambda m=model: rank_all(m.score, test.histories, test.targets, pop),
        )
        results[name] = {k: round(v, 4) for k, v in metrics_from_ranks(ranks).items()}
    timings["total"] = round(time.perf_counter() - t0, 2)
    base = results["cooccurrence"]["NDCG@10"]
    return {
        "protocol": PROTOCOL,
        "dataset": {
            "path": str(folder),
            "users": len(data.test.users),
            "items": n,
            "fit_interactions": int(sum(len(h) for h in fit_seqs)),
            "scored_users": len(test.users),
            "tuning_users": int(tune_rows.size),
            "seed": seed,
        },
        "models": results,
        "metrics": list(METRICS),
        "ndcg_ratio_vs_cooccurrence": round(results["shopassist"]["NDCG@10"] / base, 3)
        if base
        else None,
        "blend": {
            "weights": weights,
            "valid_NDCG@10": round(valid_ndcg, 4),
            "config": {
                k: v
                for k, v in ShopAssistConfig(neural_epochs=epochs).to_dict().items()
                if k != "weights"
            },
            "neural": None if sasrec is None else {**sasrec.config.to_dict(), "log": sasrec.log},
        },
        "rerank": None
        if reranker is None
        else {
            **reranker.config.to_dict(),
            **reranker.trained_on,
            "feature_gain_share": reranker.importance(),
        },
        "timings": timings,
    }

"""Intent-routing accuracy on Bitext customer-support pairs (27 Bitext intents mapped to ours).

The file is split per Bitext intent (stratified, seeded) into a tuning part and a held-out part.
The head is fit on the tuning part (+ the hand-written examples) only, then every row is scored
by the full classifier (rules first, head for the rest). Rebuild the shipped head with:
`python -m assistant.evals.intents --write-head` (same split, same recipe).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import time
from collections import Counter
from pathlib import Path

import numpy as np

from assistant.turn.intents import (
    HEAD_MODEL,
    HEAD_PATH,
    Intent,
    IntentClassifier,
    IntentHead,
    TextEncoder,
    example_pairs,
    fit_head,
)

DEFAULT_PAIRS = Path(__file__).resolve().parents[2].parent / "shared/data/bitext_support/pairs.csv"

# Bitext intent -> ShopAssist intent. Many-to-one; why, where it isn't obvious:
# place_order ("I want to buy an item", "help me order a product") is a shopping request with no
# product named yet -> search (the engine asks what they are looking for). Refund policy and
# cancellation fees are questions about the rules -> policy_question, while asking for or chasing
# a refund -> return_refund. Invoices are billing -> payment. Shipping addresses are where things
# are delivered -> delivery. Newsletter subscriptions live on the account -> account. Complaints and
# reviews are feedback; contacting customer service or an agent is a hand-off to people.
BITEXT_TO_OURS: dict[str, Intent] = {
    "track_order": Intent.ORDER_STATUS,
    "change_order": Intent.CHANGE_ORDER,
    "cancel_order": Intent.CANCEL_ORDER,
    "place_order": Intent.SEARCH,
    "get_refund": Intent.RETURN_REFUND,
    "track_refund": Intent.RETURN_REFUND,
    "check_refund_policy": Intent.POLICY_QUESTION,
    "check_cancellation_fee": Intent.POLICY_QUESTION,
    "create_account": Intent.ACCOUNT,
    "delete_account": Intent.ACCOUNT,
    "edit_account": Intent.ACCOUNT,
    "switch_account": Intent.ACCOUNT,
    "recover_password": Intent.ACCOUNT,
    "registration_problems": Intent.ACCOUNT,
    "newsletter_subscription": Intent.ACCOUNT,
    "check_payment_methods": Intent.PAYMENT,
    "payment_issue": Intent.PAYMENT,
    "check_invoice": Intent.PAYMENT,
    "get_invoice": Intent.PAYMENT,
    "delivery_options": Intent.DELIVERY,
    "delivery_period": Intent.DELIVERY,
    "change_shipping_address": Intent.DELIVERY,
    "set_up_shipping_address": Intent.DELIVERY,
    "complaint": Intent.FEEDBACK,
    "review": Intent.FEEDBACK,
    "contact_customer_service": Intent.HUMAN_HANDOFF,
    "contact_human_agent": Intent.HUMAN_HANDOFF,
}


def load_pairs(path: Path) -> list[tuple[str, str]]:
    """(instruction, Bitext intent) rows; an unknown intent is an error, not a skip."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = [(r["instruction"].strip(), r["intent"].strip()) for r in csv.DictReader(fh)]
    unknown = sorted({i for _, i in rows} - BITEXT_TO_OURS.keys())
    if unknown:
        msg = f"{path}: intents missing from BITEXT_TO_OURS: {', '.join(unknown)}; map them first."
        raise ValueError(msg)
    return rows


def split_rows(intents: list[str], tune_fraction: float, seed: int) -> np.ndarray:
    """Boolean mask of tuning rows, stratified by Bitext intent."""
    if not 0.0 < tune_fraction < 1.0:
        msg = f"tune_fraction must be between 0 and 1 (exclusive), got {tune_fraction}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(intents), dtype=bool)
    for name in sorted(set(intents)):
        rows = np.flatnonzero(np.array(intents) == name)
        rng.shuffle(rows)
        mask[rows[: round(len(rows) * tune_fraction)]] = True
    return mask


def train_head(
    texts: list[str], labels: list[Intent], encoder: TextEncoder, vectors: np.ndarray, meta: dict
) -> IntentHead:
    """Fit the head on the given rows plus the hand-written examples."""
    extra = example_pairs()
    extra_vecs = encoder.encode([t for t, _ in extra])
    x = np.vstack([vectors, extra_vecs])
    y = list(labels) + [i for _, i in extra]
    meta = {**meta, "examples": len(extra), "rows": len(texts), "model": HEAD_MODEL}
    return fit_head(x, y, meta=meta)


def _accuracy(hits: np.ndarray, mask: np.ndarray) -> float | None:
    return round(float(hits[mask].mean()), 4) if mask.any() else None


def _breakdown(keys: list[str], hits: np.ndarray, tune: np.ndarray) -> dict:
    out: dict = {}
    arr = np.array(keys)
    for key in sorted(set(keys)):
        m = arr == key
        out[key] = {
            "n": int(m.sum()),
            "all": _accuracy(hits, m),
            "tuning": _accuracy(hits, m & tune),
            "held_out": _accuracy(hits, m & ~tune),
        }
    return out


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def run_intent_eval(
    pairs_csv: Path = DEFAULT_PAIRS,
    tune_fraction: float = 0.5,
    seed: int = 0,
    encoder: TextEncoder | None = None,
) -> dict:
    """Per-intent and overall accuracy on all rows, the tuning part and the held-out part."""
    start = time.perf_counter()
    if not pairs_csv.exists():
        msg = f"{pairs_csv} not found; point --pairs at Bitext's pairs.csv (see ../shared/data/README.md)"
        raise FileNotFoundError(msg)
    if encoder is None:
        from retrieval.storage.embeddings import get_embedder

        encoder = get_embedder()
    rows = load_pairs(pairs_csv)
    texts, bitext = [t for t, _ in rows], [i for _, i in rows]
    expected = [BITEXT_TO_OURS[i] for i in bitext]
    tune = split_rows(bitext, tune_fraction, seed)
    vectors = encoder.encode(texts)
    meta = {"data_sha256": _file_digest(pairs_csv), "tune_fraction": tune_fraction, "seed": seed}
    idx = np.flatnonzero(tune)
    head = train_head(
        [texts[i] for i in idx], [expected[i] for i in idx], encoder, vectors[idx], meta
    )
    results = IntentClassifier(_Cached(texts, vectors, encoder), head).classify_many(texts)
    predicted = [r.intent for r in results]
    hits = np.array([p == e for p, e in zip(predicted, expected, strict=True)])
    return _result(pairs_csv, rows, expected, predicted, results, hits, tune, head, start)


def _result(path, rows, expected, predicted, results, hits, tune, head, start) -> dict:
    bitext = [i for _, i in rows]
    sources = np.array([r.source for r in results])
    confusions = Counter(
        (b, str(e), str(p))
        for b, e, p, t in zip(bitext, expected, predicted, tune, strict=True)
        if e != p and not t
    )
    return {
        "protocol": "bitext_support intents -> ShopAssist intents; head fit on the tuning split only",
        "data": str(path),
        "rows": len(rows),
        "tuning_rows": int(tune.sum()),
        "held_out_rows": int((~tune).sum()),
        "tune_fraction": head.meta["tune_fraction"],
        "seed": head.meta["seed"],
        "head": {k: head.meta[k] for k in ("rows", "examples", "model", "data_sha256")},
        "overall": {
            "all": _accuracy(hits, np.ones_like(tune)),
            "tuning": _accuracy(hits, tune),
            "held_out": _accuracy(hits, ~tune),
        },
        "by_source_held_out": {
            s: {"n": int((m := (sources == s) & ~tune).sum()), "accuracy": _accuracy(hits, m)}
            for s in ("rules", "model")
        },
        "per_intent": _breakdown([str(e) for e in expected], hits, tune),
        "per_bitext_intent": _breakdown(bitext, hits, tune),
        "confusions_held_out": [
            {"bitext_intent": b, "expected": e, "predicted": p, "count": n}
            for (b, e, p), n in confusions.most_common(15)
        ],
        "mapping": {k: str(v) for k, v in BITEXT_TO_OURS.items()},
        "seconds": round(time.perf_counter() - start, 1),
    }


class _Cached:
    """Serves already-computed vectors for known texts; encodes anything else."""

    def __init__(self, texts: list[str], vectors: np.ndarray, encoder: TextEncoder) -> None:
        self.row = {t: i for i, t in enumerate(texts)}
        self.vectors, self.encoder = vectors, encoder

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors for texts, reusing the precomputed ones."""
        if all(t in self.row for t in texts):
            return self.vectors[[self.row[t] for t in texts]]
        return self.encoder.encode(texts)


def print_report(result: dict, console=None) -> None:
    """The human-readable tables: per intent (all / tuning / held-out), sources, confusions."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    o = result["overall"]
    console.print(
        f"[bold]Intent accuracy[/bold] on {result['data']}: {result['rows']} rows "
        f"({result['tuning_rows']} tuning, {result['held_out_rows']} held out; seed {result['seed']})"
    )
    table = Table("intent", "n", "all", "tuning", "held-out")
    for name, r in result["per_intent"].items():
        table.add_row(name, str(r["n"]), *(_pct(r[k]) for k in ("all", "tuning", "held_out")))
    table.add_row(
        "[bold]overall", str(result["rows"]), *(_pct(o[k]) for k in ("all", "tuning", "held_out"))
    )
    console.print(table)
    src = result["by_source_held_out"]
    console.print(
        "held-out decided by rules: "
        + ", ".join(f"{s} {v['n']} rows at {_pct(v['accuracy'])}" for s, v in src.items())
    )
    if result["confusions_held_out"]:
        conf = Table("bitext intent", "expected", "predicted", "count", title="held-out confusions")
        for c in result["confusions_held_out"]:
            conf.add_row(c["bitext_intent"], c["expected"], c["predicted"], str(c["count"]))
        console.print(conf)
    console.print(f"{result['seconds']} s")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def write_head(
    pairs_csv: Path, out: Path = HEAD_PATH, tune_fraction: float = 0.5, seed: int = 0
) -> Path:
    """Fit the head exactly as the evaluation does (tuning split + examples) and save it."""
    from retrieval.storage.embeddings import get_embedder

    encoder = get_embedder()
    rows = load_pairs(pairs_csv)
    tune = split_rows([i for _, i in rows], tune_fraction, seed)
    texts = [t for (t, _), keep in zip(rows, tune, strict=True) if keep]
    labels = [BITEXT_TO_OURS[i] for (_, i), keep in zip(rows, tune, strict=True) if keep]
    meta = {"data_sha256": _file_digest(pairs_csv), "tune_fraction": tune_fraction, "seed": seed}
    train_head(texts, labels, encoder, encoder.encode(texts), meta).save(out)
    return out


def main(argv: list[str] | None = None) -> None:
    """`python -m assistant.evals.intents [--pairs CSV] [--write-head]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS, help="Bitext pairs.csv")
    parser.add_argument("--tune-fraction", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write-head", action="store_true", help=f"rebuild {HEAD_PATH.name}")
    args = parser.parse_args(argv)
    if args.write_head:
        print(f"wrote {write_head(args.pairs, HEAD_PATH, args.tune_fraction, args.seed)}")
        return
    print_report(run_intent_eval(args.pairs, args.tune_fraction, args.seed))


if __name__ == "__main__":
    main()

"""Next-item recommendation on amazon_games: ShopAssist vs popularity vs item co-occurrence.

Fits, tunes (valid) and scores (test, full ranking) all three models in one run and prints the
figures side by side with timings. Run: .venv/bin/python benchmarks/recs_bench.py DATA_DIR
[--sample-users N] [--out DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="folder with items.tsv, valid.tsv, test.tsv")
    parser.add_argument("--sample-users", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="write the markdown + PNG here")
    args = parser.parse_args()

    from assistant.evals.recs import run_recs_eval
    from assistant.evals.recs_report import write_report

    start = time.perf_counter()
    result = run_recs_eval(args.data_dir, args.sample_users, args.seed, progress=print)
    wall = time.perf_counter() - start
    rows = [
        {"model": name, **{k: f"{v:.4f}" for k, v in m.items()}}
        for name, m in result["models"].items()
    ]
    print(table(rows))
    print(f"ShopAssist / co-occurrence NDCG@10: {result['ndcg_ratio_vs_cooccurrence']}")
    print(f"blend weights: {result['blend']['weights']}")
    print("timings (s): " + ", ".join(f"{k} {v}" for k, v in result["timings"].items()))
    print(f"wall: {wall:.1f} s for {result['dataset']['scored_users']} scored users")
    if args.out:
        print(f"report: {write_report(result, args.out)['markdown']}")


if __name__ == "__main__":
    main()

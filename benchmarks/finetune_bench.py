"""A real CPU LoRA fine-tune of SmolLM2-135M-Instruct, then base vs adapter side by side.

Steps: demo store (fresh temp dir, or --data-dir) → SFT data (finetune/dataset.py) → LoRA with
finetune/train.py until at least --min-tokens training tokens → assistant/evals/finetune.py on the
validation split and on conversations over the unseen toys catalog. Prints tokens/s, wall time,
peak memory and the before/after table; writes everything to --out.
Run: .venv/bin/python benchmarks/finetune_bench.py [--out runs/finetune-bench] [--save-adapter DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
import time
from pathlib import Path

from common import REPO, need_toys


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=REPO / "runs" / "finetune-bench")
    p.add_argument("--data-dir", type=Path, help="An existing demo data dir (copied, not changed).")
    p.add_argument("--min-tokens", type=int, default=300_000, help="Training tokens at least.")
    p.add_argument("--per-user", type=int, default=14)
    p.add_argument("--bitext-examples", type=int, default=200)
    p.add_argument("--n-eval", type=int, default=40, help="Conversations per eval split.")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--grad-accum", type=int, default=2, help="Micro-batches per optimizer step.")
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--lora-r", type=int, default=8, help="LoRA rank (8: the shipped adapter).")
    p.add_argument("--lora-alpha", type=int, default=16)
    p.add_argument("--autocast", default="auto", help="bf16 autocast on CPU: auto/true/false.")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: all cores).")
    p.add_argument("--reuse-data", action="store_true", help="Keep --out/data if it exists.")
    p.add_argument("--save-adapter", type=Path, help="Copy the trained adapter here.")
    return p.parse_args()


def demo_store(args, tmp: Path):
    from retrieval.ingest.seed import prepare_demo
    from retrieval.storage.store import StoreConfig, open_store

    data_dir = tmp / "demo"
    if args.data_dir:
        shutil.copytree(args.data_dir, data_dir)
    store = open_store(StoreConfig(data_dir=data_dir))
    prepare_demo(store)
    return store


def steps_for(train_file: Path, min_tokens: int, batch_size: int, max_length: int) -> int:
    """Optimizer steps that cover at least min_tokens (mean example length × batch)."""
    from transformers import AutoTokenizer

    from finetune.train import TrainConfig, resolve_base, token_length

    tok = AutoTokenizer.from_pretrained(resolve_base(TrainConfig()))
    rows = [json.loads(line) for line in train_file.read_text().splitlines() if line.strip()]
    lengths = [n for r in rows if (n := token_length(tok, r["messages"])) <= max_length]
    mean = sum(lengths) / len(lengths)
    return math.ceil(min_tokens / (mean * batch_size) * 1.03)


def main() -> None:
    args = parse()
    toys = need_toys()
    from assistant.evals.finetune import markdown, run_eval
    from finetune.dataset import DatasetConfig, build_dataset
    from finetune.train import TrainConfig
    from finetune.train import main as train

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="shopassist-ftbench-") as tmp:
        t0 = time.perf_counter()
        store = demo_store(args, Path(tmp))
        data_cfg = DatasetConfig(out_dir=str(args.out / "data"), per_user=args.per_user,
                                 bitext=str(REPO.parent / "shared/data/bitext_support/pairs.csv"),
                                 bitext_examples=args.bitext_examples)  # fmt: skip
        old = args.out / "data" / "stats.json"
        if args.reuse_data and old.exists():
            stats = json.loads(old.read_text())
        else:
            stats = build_dataset(store, data_cfg, progress=True)
        data_s = time.perf_counter() - t0
        train_file = Path(stats["files"]["train"])
        steps = steps_for(train_file, args.min_tokens, args.batch_size * args.grad_accum, 1024)
        cfg = TrainConfig(train_file=str(train_file), validation_file=stats["files"]["validation"],
                          output_dir=str(args.out / "run"), batch_size=args.batch_size,
                          grad_accum=args.grad_accum, autocast=args.autocast,
                          learning_rate=args.lr, max_steps=steps, threads=args.threads,
                          lora_r=args.lora_r, lora_alpha=args.lora_alpha,
                          resume=False, save_every=0)  # fmt: skip
        shutil.rmtree(cfg.output_dir, ignore_errors=True)
        summary = train(cfg)
        t1 = time.perf_counter()
        report = run_eval(Path(summary["adapter_dir"]), Path(stats["files"]["validation"]), toys,
                          store=store, n_val=args.n_eval, n_unseen=args.n_eval,
                          out_dir=args.out / "eval", embedder=store.embedder)  # fmt: skip
        eval_s = time.perf_counter() - t1
    if args.save_adapter:
        shutil.rmtree(args.save_adapter, ignore_errors=True)
        shutil.copytree(summary["adapter_dir"], args.save_adapter)
    losses = summary.pop("losses")
    figures = {"data": {k: stats[k] for k in ("train", "validation", "tasks", "sources", "skipped")},
               "data_build_s": round(data_s, 1), "train": summary, "eval_s": round(eval_s, 1),
               "eval": report["splits"]}  # fmt: skip
    (args.out / "bench.json").write_text(json.dumps(figures | {"losses": losses}, indent=2))
    print(f"data: {stats['train']} train / {stats['validation']} validation rows "
          f"({data_s:.0f} s to build)")  # fmt: skip
    print(f"train: {summary['train_tokens']} tokens in {summary['wall_s']} s = "
          f"{summary['tokens_per_s']} tok/s, {summary['steps']} steps, peak memory "
          f"{summary['peak_memory_mb']:.0f} MB, loss {summary['loss_first']} → {summary['loss_last']}, "
          f"validation loss {summary['val_loss_before']:.3f} → {summary['val_loss_after']:.3f}")  # fmt: skip
    print(f"eval: {eval_s:.0f} s")
    print(markdown(report))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()

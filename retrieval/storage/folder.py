"""Where an embedded Chroma store lives, and which folder it is. No heavy imports: the CLI asks
before it decides whether it may open the store itself (one writer per folder)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def chroma_path(data_dir) -> Path:
    """The embedded (persistent) Chroma folder of a data dir."""
    return Path(data_dir) / "chroma"


def chroma_folder_id(chroma_mode: str, data_dir) -> str | None:
    """A hash of the embedded Chroma folder's device and inode, the same for every path to it
    (shown by /healthz without telling where the folder is); None when the store is not an
    embedded folder (a Chroma server, memory) or the folder does not exist."""
    if chroma_mode != "persistent":
        return None
    try:
        st = os.stat(chroma_path(data_dir))
    except OSError:
        return None
    return hashlib.sha256(f"{st.st_dev}:{st.st_ino}".encode()).hexdigest()[:16]

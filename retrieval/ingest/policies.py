"""Policy / FAQ Markdown files → chunks by heading, each with its file, section and a stable id.

- Sections start at `#`, `##` and `###` headings (ATX) or `===` / `---` underlined ones; deeper
  headings stay inside their section. Text before the first heading is a section named after
  the file (id `<file>#intro`). Headings inside fenced code blocks are not headings; YAML
  front matter is skipped.
- A chunk's text starts with its section title, then the section's body. Sections longer than
  `MAX_CHARS` are split at paragraph boundaries (a single long paragraph at sentence ends); every
  piece keeps the section title and gets the id suffix -2, -3, …
- chunk_id is `<file>#<slug of the section title>` (e.g. `returns.md#refund-timing`); when two
  sections share a title the later one uses the slug of its whole heading path.
- A file that is not UTF-8 becomes a Reject naming the file; other files still land.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.types import InputFileError, Reject

MAX_CHARS = 800
SUFFIXES = (".md", ".markdown")

_ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass
class PolicyChunk:
    """One retrievable piece of a policy file."""

    chunk_id: str  # "returns.md#refund-timing", "returns.md#refund-timing-2"
    file: str  # path relative to the policies folder, "/"-separated
    section: str  # the section's own heading
    heading_path: list[str]  # headings from the top of the file down to this section
    text: str  # section title, blank line, body


@dataclass
class PolicyRead:
    """Chunks from a folder of Markdown files, plus files that could not be read."""

    chunks: list[PolicyChunk] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    read: int = 0  # files seen
    warnings: list[str] = field(default_factory=list)


def slugify(text: str) -> str:
    """'Refund timing (UK)' → 'refund-timing-uk'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "section"


def _heading(lines: list[str], i: int, in_fence: bool) -> tuple[int, str, int] | None:
    """(level, title, lines used) when line i starts a heading of level 1-3, else None."""
    if in_fence:
        return None
    m = _ATX.match(lines[i])
    if m:
        return (len(m[1]), m[2].strip(), 1) if len(m[1]) <= 3 and m[2].strip() else None
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    text = lines[i].strip()
    if text and _SETEXT.match(nxt) and not _ATX.match(lines[i]) and not text.startswith(("-", "*")):
        return (1 if nxt.strip()[0] == "=" else 2), text, 2
    return None


def _strip_front_matter(lines: list[str]) -> list[str]:
    if lines and lines[0].strip() == "---":
        for j in range(1, len(lines)):
            if lines[j].strip() in ("---", "..."):
                return lines[j + 1 :]
    return lines


def _sections(text: str) -> list[tuple[list[str], str]]:
    """(heading path, body) for each section in file order; [] is the text before any heading."""
    lines = _strip_front_matter(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    path: list[str] = []
    out: list[tuple[list[str], str]] = []
    body: list[str] = []
    in_fence, i = False, 0
    while i < len(lines):
        got = _heading(lines, i, in_fence)
        if got is None:
            if _FENCE.match(lines[i]):
                in_fence = not in_fence
            body.append(lines[i])
            i += 1
            continue
        out.append((list(path), "\n".join(body).strip()))
        level, title, used = got
        path = path[: level - 1] + [title]
        body, i = [], i + used
    out.append((list(path), "\n".join(body).strip()))
    return [(p, b) for p, b in out if b]


def _paragraphs(body: str) -> list[str]:
    """Blocks separated by blank lines; a fenced code block stays one block."""
    blocks: list[str] = []
    current: list[str] = []
    in_fence = False
    for line in body.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        if not line.strip() and not in_fence:
            if current:
                blocks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _pieces_of(block: str, limit: int) -> list[str]:
    """A block no longer than limit, else its sentences (or words) packed up to limit."""
    if len(block) <= limit:
        return [block]
    units = _SENTENCE.split(block)
    if any(len(u) > limit for u in units):
        units = block.split()
    return _pack(units, limit, " ")


def _pack(units: list[str], limit: int, joiner: str) -> list[str]:
    pieces: list[str] = []
    for unit in units:
        if pieces and len(pieces[-1]) + len(joiner) + len(unit) <= limit:
            pieces[-1] += joiner + unit
        else:
            pieces.append(unit)
    return pieces


def split_body(body: str, limit: int = MAX_CHARS) -> list[str]:
    """Pieces of about `limit` characters, cut at paragraph boundaries where possible."""
    blocks = [piece for block in _paragraphs(body) for piece in _pieces_of(block, limit)]
    return _pack(blocks, limit, "\n\n")


def chunk_markdown(text: str, file: str, limit: int = MAX_CHARS) -> list[PolicyChunk]:
    """Chunks of one Markdown document; `file` names it in ids and metadata."""
    default_title = Path(file).stem.replace("_", " ").replace("-", " ").strip().capitalize()
    chunks: list[PolicyChunk] = []
    used: set[str] = set()
    for path, body in _sections(text):
        base = slugify(path[-1]) if path else "intro"
        path = path or [default_title or file]
        section = path[-1]
        if base in used:
            base = slugify(" ".join(path))
        n = 1
        while base in used:
            n += 1
            base = f"{slugify(' '.join(path))}-s{n}"
        used.add(base)
        for k, piece in enumerate(split_body(body, limit), start=1):
            slug = base if k == 1 else f"{base}-{k}"
            used.add(slug)
            chunks.append(
                PolicyChunk(f"{file}#{slug}", file, section, list(path), f"{section}\n\n{piece}")
            )
    return chunks


def _markdown_files(folder: Path) -> list[Path]:
    if not folder.exists():
        msg = f"{folder} not found"
        raise InputFileError(msg)
    if folder.is_file():
        files = [folder] if folder.suffix.lower() in SUFFIXES else []
    else:
        files = sorted(
            p
            for p in folder.rglob("*")
            if p.is_file()
            and p.suffix.lower() in SUFFIXES
            and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        )
    if not files:
        msg = f"{folder} has no Markdown (.md) files"
        raise InputFileError(msg)
    return files


def chunk_policies(folder: str | Path) -> PolicyRead:
    """Chunk every .md file under a folder (or one .md file); raises when there are none."""
    folder = Path(folder)
    files = _markdown_files(folder)
    root = folder.parent if folder.is_file() else folder
    out = PolicyRead(read=len(files))
    for path in files:
        name = path.relative_to(root).as_posix()
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            out.rejects.append(
                Reject(0, f"{name}: not UTF-8 text (byte {exc.start})", {"file": name})
            )
            continue
        except OSError as exc:
            out.rejects.append(Reject(0, f"{name}: cannot read ({exc.strerror})", {"file": name}))
            continue
        chunks = chunk_markdown(text, name)
        if not chunks:
            out.warnings.append(f"{name} has no text")
        out.chunks.extend(chunks)
    return out

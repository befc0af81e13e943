"""Read CSV / TSV / JSONL / Parquet into raw rows with line numbers; bad rows become Rejects.

Iterating a `RowSource` yields `(line, row)` for good rows and a `Reject` for rows that could not
be read (invalid UTF-8 bytes, wrong field count, unterminated quote, bad JSON). Problems with the
whole file raise `InputFileError` when `read_rows` is called, before any row is yielded.

Encodings: UTF-8 (a BOM is dropped). A file that is not UTF-8 anywhere but decodes as
Windows-1252 is read as cp1252 and says so in `.warnings`. When some lines are valid UTF-8 with
accents and others hold invalid bytes, only the rows on the bad lines are rejected.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import gzip
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retrieval.types import InputFileError, Reject

FORMATS = (
    {".csv": "csv", ".tsv": "tsv", ".tab": "tsv"}
    | dict.fromkeys((".jsonl", ".ndjson"), "jsonl")
    | dict.fromkeys((".parquet", ".pq"), "parquet")
)
FORMAT_NAMES = {
    "csv": "csv",
    "tsv": "tsv",
    "jsonl": "jsonl",
    "ndjson": "jsonl",
    "parquet": "parquet",
}
MAX_SPAN = 200  # physical lines one quoted CSV field may span before it counts as unterminated
RAW_KEEP = 500  # characters of a broken line kept in its Reject

Item = tuple[int, dict[str, Any]] | Reject


@dataclass
class RowSource:
    """Rows of one file: iterate for `(line, row)` or `Reject`; `.columns`, `.warnings`."""

    path: Path
    fmt: str
    columns: list[str]  # JSONL: union of keys seen so far, complete once iterated
    rows: Iterator[Item] = field(repr=False)
    warnings: list[str]
    encoding: str

    def __iter__(self) -> RowSource:
        return self

    def __next__(self) -> Item:
        return next(self.rows)


def read_rows(path: str | Path, fmt: str | None = None) -> RowSource:
    """Open a row file (format from `fmt` or the extension); raises InputFileError at once."""
    path = Path(path)
    fmt = resolve_format(path, fmt)
    if fmt == "parquet":
        return _parquet_source(path)
    data = _read_bytes(path)
    warnings: list[str] = []
    lines, bad, encoding = decode_lines(data, path.name, warnings)
    if fmt == "jsonl":
        return _jsonl_source(path, lines, bad, warnings, encoding)
    return _csv_source(path, fmt, lines, bad, warnings, encoding)


def resolve_format(path: Path, fmt: str | None) -> str:
    """csv | tsv | jsonl | parquet, from `fmt` or the file extension."""
    if fmt:
        key = fmt.lower().lstrip(".")
        if key not in FORMAT_NAMES:
            msg = f"unknown format '{fmt}'; use csv, tsv, jsonl or parquet"
            raise InputFileError(msg)
        return FORMAT_NAMES[key]
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext not in FORMATS:
        msg = (
            f"cannot tell the format of {path.name} from its extension '{ext}': use .csv, "
            ".tsv, .jsonl or .parquet, or give the format (--format csv)"
        )
        raise InputFileError(msg)
    return FORMATS[ext]


def _check_file(path: Path) -> None:
    if not path.exists():
        msg = f"{path} not found"
        raise InputFileError(msg)
    if path.is_dir():
        msg = f"{path} is a directory, not a file"
        raise InputFileError(msg)


def _read_bytes(path: Path) -> bytes:
    _check_file(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        msg = f"cannot read {path}: {exc.strerror or exc}"
        raise InputFileError(msg) from exc
    if path.suffix.lower() == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            msg = f"{path.name} is not a readable gzip file: {exc}"
            raise InputFileError(msg) from exc
    if not data:
        msg = f"{path.name} is empty (0 bytes)"
        raise InputFileError(msg)
    if data.startswith(b"PK\x03\x04"):
        msg = f"{path.name} is a zip/Excel file, not text; export it as CSV (UTF-8) first"
        raise InputFileError(msg)
    return data


def decode_lines(data: bytes, name: str, warnings: list[str]) -> tuple[list[str], set[int], str]:
    """Physical lines (no '\\n'), the 0-based indexes of lines with invalid bytes, the encoding."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        warnings.append(f"{name} is UTF-16; read it as UTF-16")
        return data.decode("utf-16").split("\n"), set(), "utf-16"
    if b"\x00" in data[:4096]:
        msg = f"{name} looks binary (NUL bytes), not a text file"
        raise InputFileError(msg)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8").split("\n"), set(), "utf-8"
    except UnicodeDecodeError:
        pass
    raw = data.split(b"\n")
    bad, utf8_accents = set(), False
    for i, chunk in enumerate(raw):
        try:
            chunk.decode("utf-8")
            utf8_accents = utf8_accents or not chunk.isascii()
        except UnicodeDecodeError:
            bad.add(i)
    if not utf8_accents:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            pass
        else:
            warnings.append(
                f"{name} is not UTF-8; read it as Windows-1252 (cp1252). "
                "Save it as UTF-8 to be sure accents and symbols are right"
            )
            return text.split("\n"), set(), "cp1252"
    warnings.append(f"{name}: {len(bad)} line(s) hold invalid UTF-8 bytes; those rows are rejected")
    return [chunk.decode("utf-8", errors="replace") for chunk in raw], bad, "utf-8"


# --- CSV / TSV ---------------------------------------------------------------------------------


def _quote_state(line: str, delim: str, in_quotes: bool) -> bool:
    """Whether a CSV record is still inside a quoted field at the end of this line."""
    if '"' not in line:
        return in_quotes
    state = "q" if in_quotes else "start"
    for ch in line:
        if state == "q":
            state = "qq" if ch == '"' else "q"
        elif state == "qq":
            state = "q" if ch == '"' else ("start" if ch == delim else "field")
        elif ch == delim:
            state = "start"
        elif state == "start":
            state = "q" if ch == '"' else "field"
    return state == "q"


def _record_end(lines: list[str], start: int, delim: str) -> int | None:
    """Index of the last line of the record starting at `start`; None when unterminated."""
    in_quotes = False
    stop = min(len(lines), start + MAX_SPAN)
    for j in range(start, stop):
        in_quotes = _quote_state(lines[j], delim, in_quotes)
        if not in_quotes:
            return j
    return None


def _parse_record(text: str, delim: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=False))
    return rows[0] if rows else []


def _header(path: Path, lines: list[str], delim: str) -> tuple[list[str], int]:
    """Column names and the index of the header's last line."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        msg = f"{path.name} is empty: no header row"
        raise InputFileError(msg)
    end = _record_end(lines, first, delim)
    if end is None:
        msg = f"{path.name}: the header row (line {first + 1}) has an unterminated quote"
        raise InputFileError(msg)
    fields = _parse_record("\n".join(lines[first : end + 1]), delim)
    names = [c.strip().lstrip("\ufeff") or f"column_{k + 1}" for k, c in enumerate(fields)]
    seen: dict[str, int] = {}
    for k, name in enumerate(names):
        if name in seen:
            msg = (
                f"{path.name}: column '{name}' appears twice in the header "
                f"(columns {seen[name] + 1} and {k + 1})"
            )
            raise InputFileError(msg)
        seen[name] = k
    if not any(line.strip() for line in lines[end + 1 :]):
        msg = f"{path.name} has a header row but no data rows"
        raise InputFileError(msg)
    return names, end


def _csv_source(
    path: Path, fmt: str, lines: list[str], bad: set[int], warnings: list[str], encoding: str
) -> RowSource:
    delim = "\t" if fmt == "tsv" else ","
    columns, header_end = _header(path, lines, delim)
    rows = _csv_rows(lines, bad, header_end + 1, columns, delim)
    return RowSource(path, fmt, columns, rows, warnings, encoding)


def _csv_rows(
    lines: list[str], bad: set[int], i: int, columns: list[str], delim: str
) -> Iterator[Item]:
    """Good rows as dicts, broken ones as Rejects; lines a stray quote swallowed are re-read."""
    width = len(columns)
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        line, end = i + 1, _record_end(lines, i, delim)
        if end is None:
            yield Reject(line, _unterminated(line, len(lines)), {"raw": lines[i][:RAW_KEEP]})
            i += 1
            continue
        text = "\n".join(lines[i : end + 1])
        raw = {"raw": text[:RAW_KEEP]}
        fields = _parse_record(text, delim)
        fits = len(fields) >= width and not any(f.strip() for f in fields[width:])
        if any(k in bad for k in range(i, end + 1)):
            yield Reject(line, "invalid UTF-8 bytes", raw)
        elif not fits:
            yield Reject(line, _width_reason(line, end + 1, len(fields), width), raw)
        else:
            yield line, dict(zip(columns, fields, strict=False))
        i = i + 1 if not fits and end > i else end + 1  # a stray quote swallowed lines: re-read


def _unterminated(line: int, n_lines: int) -> str:
    where = "to the end of the file" if line + MAX_SPAN > n_lines else f"past {MAX_SPAN} lines"
    return f"unterminated quote: the quoted field runs on {where}"


def _width_reason(line: int, last: int, got: int, width: int) -> str:
    if last > line:
        return (
            f"a quoted field runs on to line {last} and the row has {got} "
            f"fields, header has {width} (unterminated quote?)"
        )
    return f"{got} fields, header has {width}"


# --- JSONL -------------------------------------------------------------------------------------


def _jsonl_source(
    path: Path, lines: list[str], bad: set[int], warnings: list[str], encoding: str
) -> RowSource:
    first = next((line.strip() for line in lines if line.strip()), None)
    if first is None:
        msg = f"{path.name} is empty: no JSON objects"
        raise InputFileError(msg)
    if first.startswith("[") and not first.endswith("]"):
        msg = f"{path.name} holds a JSON array, not JSON Lines: write one object per line"
        raise InputFileError(msg)
    columns: list[str] = []
    rows = _jsonl_rows(lines, bad, columns)
    return RowSource(path, "jsonl", columns, rows, warnings, encoding)


def _jsonl_rows(lines: list[str], bad: set[int], columns: list[str]) -> Iterator[Item]:
    known: set[str] = set()
    for i, text in enumerate(lines):
        line, text = i + 1, text.strip()
        if not text:
            continue
        raw = {"raw": text[:RAW_KEEP]}
        if i in bad:
            yield Reject(line, "invalid UTF-8 bytes", raw)
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Reject(line, f"invalid JSON: {exc.msg} (column {exc.colno})", raw)
            continue
        if not isinstance(obj, dict):
            kind = "an array" if isinstance(obj, list) else type(obj).__name__
            yield Reject(line, f"expected a JSON object, got {kind}", raw)
            continue
        for key in obj:
            if key not in known:
                known.add(key)
                columns.append(key)
        yield line, obj


# --- Parquet -----------------------------------------------------------------------------------


def _parquet_source(path: Path) -> RowSource:
    import pyarrow.parquet as pq

    _check_file(path)
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        msg = f"{path.name} is not a readable Parquet file: {exc}"
        raise InputFileError(msg) from exc
    if pf.metadata.num_rows == 0:
        msg = f"{path.name} has no rows"
        raise InputFileError(msg)
    return RowSource(path, "parquet", list(pf.schema_arrow.names), _parquet_rows(pf), [], "")


def _parquet_rows(pf) -> Iterator[Item]:
    line = 0
    for batch in pf.iter_batches(batch_size=4096):
        for row in batch.to_pylist():
            line += 1
            yield line, row


# --- column mapping ----------------------------------------------------------------------------


def parse_mapping(pairs: Iterable[str], fields: Iterable[str] = ()) -> dict[str, str]:
    """`["title=product_name", …]` → `{"title": "product_name"}`; ValueError on bad syntax."""
    known = set(fields)
    mapping: dict[str, str] = {}
    for pair in pairs:
        canonical, sep, source = (part.strip() for part in pair.partition("="))
        if not sep or not canonical or not source:
            msg = f"bad --map '{pair}': write canonical=column, e.g. title=product_name"
            raise ValueError(msg)
        if known and canonical not in known:
            msg = f"bad --map '{pair}': unknown field '{canonical}'; fields: {', '.join(known)}"
            raise ValueError(msg)
        if mapping.get(canonical, source) != source:
            msg = f"--map gives '{canonical}' twice: {mapping[canonical]} and {source}"
            raise ValueError(msg)
        mapping[canonical] = source
    return mapping


def canonical_key(name: str) -> str:
    """'Product ID' → 'product_id': how a column name is matched to a canonical field."""
    return "_".join(str(name).strip().lower().replace("-", " ").split())


def apply_mapping(
    row: dict[str, Any], mapping: dict[str, str] | None, fields: Iterable[str] = ()
) -> dict[str, Any]:
    """Rename mapped columns to canonical names; columns named like a field match it too.

    An explicit mapping wins over a same-named column; unmapped columns keep their names.
    """
    mapping = mapping or {}
    sources = set(mapping.values())
    fields = set(fields) - set(mapping)
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in sources:
            continue
        canon = canonical_key(key)
        out[canon if canon in fields else key] = value
    for canonical, source in mapping.items():
        if source in row:
            out[canonical] = row[source]
    return out


def require_columns(
    name: str,
    columns: list[str],
    required: Iterable[str],
    mapping: dict[str, str] | None,
    fields: Iterable[str] = (),
) -> None:
    """Raise InputFileError naming a missing mapped or required column and the columns present."""
    mapping = mapping or {}
    present = ", ".join(columns) or "(none)"
    for canonical, source in mapping.items():
        if source not in columns:
            msg = (
                f"{name} has no column '{source}' (from --map {canonical}={source}); "
                f"columns are: {present}"
            )
            raise InputFileError(msg)
    have = apply_mapping(dict.fromkeys(columns, ""), mapping, fields)
    for wanted in required:
        if wanted not in have:
            guess = difflib.get_close_matches(wanted, columns, n=1, cutoff=0.5)
            example = guess[0] if guess else "COLUMN"
            msg = (
                f"{name} has no '{wanted}' column; columns are: {present}. "
                f"Map one with --map {wanted}={example}"
            )
            raise InputFileError(msg)

"""Catalog rows → validated, normalized `Product`s; every bad row becomes a `Reject` with a reason.

Decisions (see ARCHITECTURE "Catalog rules"):
- Required: product_id and title. Empty price / rating / stock are None, not rejects; a value that
  is present but cannot be read (price `abc`, rating 7, stock `lots`) rejects the row.
- A price range (`£3.42 - £5.00`) is stored as its lower bound: the price a shopper can pay.
- Prices in another currency keep their number; `attributes["source_currency"]` says which.
- Duplicate product_id in one file: the first row lands; a later identical row is rejected as
  "duplicate of line N (identical)" and counted in `.duplicates`; a later different row is
  rejected naming the fields that differ. So `read == len(products) + len(rejects)`.
- Invalid `attributes` JSON keeps the row with `attributes = {}` and adds a warning.
"""

from __future__ import annotations

import html
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

from retrieval.ingest.readers import apply_mapping, read_rows, require_columns
from retrieval.types import Product, Reject

FIELDS = (
    "product_id",
    "title",
    "description",
    "category",
    "brand",
    "price",
    "currency",
    "rating",
    "review_count",
    "in_stock",
    "stock_qty",
    "image_url",
    "attributes",
)
REQUIRED = ("product_id", "title")
EMPTY = {"", "-", "--", "n/a", "na", "none", "null", "nan"}
SYMBOLS = {
    "£": "GBP",
    "$": "USD",
    "us$": "USD",
    "€": "EUR",
    "¥": "JPY",
    "₹": "INR",
    "a$": "AUD",
    "c$": "CAD",
}
CODES = {"GBP", "USD", "EUR", "JPY", "INR", "AUD", "CAD", "CHF", "SEK", "NOK", "DKK", "PLN", "NZD"}
NAMES = {
    "pound": "GBP",
    "pounds": "GBP",
    "sterling": "GBP",
    "dollar": "USD",
    "dollars": "USD",
    "euro": "EUR",
    "euros": "EUR",
}
MAX_WARNINGS = 20  # per kind; the rest are summarized in one line

_CURRENCY_RE = re.compile(r"us\$|a\$|c\$|[£$€¥₹]|\b(?:" + "|".join(CODES) + r")\b", re.I)
_RANGE_RE = re.compile(r"(?<=[\dA-Za-z])\s*(?:-|–|—|\bto\b)\s*(?=[\d£$€¥₹A-Za-z])")
_NUMBER_RE = re.compile(r"[-+]?[\d.,]*\d[\d.,]*")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_INVISIBLE_RE = re.compile(r"[\u200b\ufeff\u00ad]")
_STOCK_WORDS_RE = re.compile(
    r"\d[\d,]*|\b(?:new|used|collectible|refurbished|only|left|in|stock|available|items?"
    r"|units?|pcs|and)\b|[+&,;()]"
)
_STOCK_NO = {
    "0",
    "out of stock",
    "outofstock",
    "sold out",
    "unavailable",
    "not available",
    "no",
    "false",
    "n",
    "discontinued",
    "preorder",
    "pre-order",
    "backorder",
}
_STOCK_YES = {"in stock", "instock", "yes", "true", "y", "available"}


@dataclass
class CatalogRead:
    """What reading one catalog file gave: products, rejects (line + reason), warnings."""

    products: list[Product] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    read: int = 0  # data rows seen: len(products) + len(rejects)
    warnings: list[str] = field(default_factory=list)
    duplicates: int = 0  # identical repeats (also in rejects)
    lines: list[int] = field(default_factory=list)  # the file line of each product


# --- values ------------------------------------------------------------------------------------


def clean_text(value: Any, unescape: bool = True) -> str:
    """NFC text without control characters, HTML entities decoded, whitespace collapsed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value)
    if unescape:
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE_RE.sub("", _CONTROL_RE.sub(" ", text))
    return " ".join(text.split())


def clean_id(value: Any) -> str:
    """An id as text: 12.0 from a Parquet float column becomes '12'."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(value, unescape=False)


def clean_category(value: Any) -> str:
    """'Games>Board  Games &gt; Family' → 'Games > Board Games > Family'; only '>' splits."""
    if isinstance(value, list | tuple):
        value = ">".join(str(v) for v in value)
    levels = (clean_text(level) for level in clean_text(value).split(">"))
    return " > ".join(level for level in levels if level)


def is_empty(value: Any) -> bool:
    """None, NaN, or text such as '', '-', 'n/a', 'null'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    return isinstance(value, str) and clean_text(value).lower() in EMPTY


def parse_number(text: str) -> float:
    """'1,299.00', '1.299,00', '3,42', '1 299' → float; ValueError when not a number."""
    s = text.replace(" ", "").replace("'", "")
    if not _NUMBER_RE.fullmatch(s):
        msg = f"'{text}' is not a number"
        raise ValueError(msg)
    sign, s = ("-" if s[0] == "-" else ""), s.lstrip("+-")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        whole, frac = s.rsplit(dec, 1)
        sep = "." if dec == "," else ","
        if not re.fullmatch(r"\d{1,3}(?:" + re.escape(sep) + r"\d{3})*", whole) or not frac:
            msg = f"'{text}' is not a number"
            raise ValueError(msg)
        return float(sign + whole.replace(sep, "") + "." + frac)
    for sep in (",", "."):
        if sep not in s:
            continue
        if re.fullmatch(r"\d{1,3}(?:" + re.escape(sep) + r"\d{3}){2,}", s) or (
            sep == "," and re.fullmatch(r"\d{1,3},\d{3}", s)
        ):
            return float(sign + s.replace(sep, ""))  # thousands: 1,299  1.299.000
        if s.count(sep) == 1 and (sep == "." or re.fullmatch(r"\d*,\d{1,2}", s)):
            return float(sign + s.replace(sep, "."))  # decimal: 3.42  3,42  4,5
        msg = f"'{text}' is not a number"
        raise ValueError(msg)
    return float(sign + s)


def _single_price(text: str) -> tuple[float, str | None]:
    found = {SYMBOLS.get(c.lower(), c.upper()) for c in _CURRENCY_RE.findall(text)}
    if len(found) > 1:
        msg = f"'{text}' names two currencies ({', '.join(sorted(found))})"
        raise ValueError(msg)
    rest = _CURRENCY_RE.sub("", text).strip()
    try:
        return parse_number(rest), (found.pop() if found else None)
    except ValueError:
        msg = f"'{text}' is not a price"
        raise ValueError(msg) from None


def parse_price(value: Any) -> tuple[float | None, str | None]:
    """(price, currency code written with it or None); a range gives its lower bound."""
    if is_empty(value):
        return None, None
    if isinstance(value, bool):
        msg = f"'{value}' is not a price"
        raise ValueError(msg)
    if isinstance(value, int | float | Decimal):
        price, code = float(value), None
    else:
        text = clean_text(value)
        parts = _RANGE_RE.split(text, maxsplit=1)
        got = [_single_price(p) for p in parts]
        price = min(p for p, _ in got)
        code = next((c for _, c in got if c), None)
    if price < 0:
        msg = f"negative price {price:g}"
        raise ValueError(msg)
    return price, code


def parse_currency(value: Any) -> str | None:
    """'£' / 'gbp' / 'pounds' → 'GBP'; None when empty."""
    if is_empty(value):
        return None
    text = clean_text(value).lower()
    code = SYMBOLS.get(text) or NAMES.get(text) or (text.upper() if text.isalpha() else "")
    if len(code) != 3:
        msg = f"'{value}' is not a currency code"
        raise ValueError(msg)
    return code


def parse_rating(value: Any) -> float | None:
    """'4.5 out of 5 stars', '4,5', '4.5/5', '8/10' (scaled to 5) → float in 0-5."""
    if is_empty(value):
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        rating, scale = float(value), 5.0
    else:
        text = clean_text(value).lower()
        m = re.fullmatch(r"([\d.,]+)\s*(?:(?:out of|of|/)\s*([\d.,]+))?\s*(?:stars?)?", text)
        if not m:
            msg = f"'{value}' is not a rating"
            raise ValueError(msg)
        rating, scale = parse_number(m[1]), parse_number(m[2]) if m[2] else 5.0
    if scale <= 0:
        msg = f"'{value}' is not a rating"
        raise ValueError(msg)
    if scale != 5:
        rating = round(rating * 5.0 / scale, 2)
    if not 0 <= rating <= 5:
        msg = f"{rating:g} is outside 0-5"
        raise ValueError(msg)
    return rating


def parse_count(value: Any) -> int | None:
    """'1,234' / '1,234 reviews' / 12.0 → a non-negative int."""
    if is_empty(value):
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = float(value)
    else:
        text = re.sub(r"\s*(?:customer\s+)?(?:reviews?|ratings?|votes?)$", "", clean_text(value))
        if re.fullmatch(r"\d{1,3}(?:[,. ]\d{3})+", text):
            text = re.sub(r"[,. ]", "", text)
        if not re.fullmatch(r"[-+]?\d+(?:\.0+)?", text):
            msg = f"'{value}' is not a whole number"
            raise ValueError(msg)
        number = float(text)
    if number < 0 or not number.is_integer():
        msg = f"'{value}' is not a whole number of 0 or more"
        raise ValueError(msg)
    return int(number)


def parse_stock(value: Any) -> tuple[bool | None, int | None]:
    """(in_stock, stock_qty): '5 new' → (True, 5); 'sold out' → (False, 0); 'yes' → (True, None)."""
    if is_empty(value):
        return None, None
    if isinstance(value, bool):
        return value, None
    if isinstance(value, int | float | Decimal):
        qty = parse_count(value)
        return bool(qty), qty
    text = clean_text(value).lower()
    if text in _STOCK_NO:
        return False, 0 if text not in {"preorder", "pre-order", "backorder"} else None
    if text in _STOCK_YES:
        return True, None
    numbers = re.findall(r"\d[\d,]*", text)
    if numbers and not _STOCK_WORDS_RE.sub(" ", text).strip():
        qty = sum(parse_count(n) or 0 for n in numbers)
        return qty > 0, qty
    msg = f"'{value}' is not a stock value (use a count, '5 new', 'in stock' or 'out of stock')"
    raise ValueError(msg)


def parse_attributes(value: Any) -> dict[str, Any]:
    """A dict or a JSON object string → dict; ValueError for anything else."""
    if is_empty(value):
        return {}
    if isinstance(value, dict):
        return dict(value)
    try:
        got = json.loads(str(value))
    except json.JSONDecodeError as exc:
        msg = f"invalid JSON ({exc.msg})"
        raise ValueError(msg) from None
    if not isinstance(got, dict):
        msg = f"JSON {type(got).__name__}, not an object"
        raise ValueError(msg)
    return got


# --- rows --------------------------------------------------------------------------------------


def _extras(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if key in FIELDS or is_empty(value):
            continue
        is_nested = isinstance(value, dict | list)
        out[str(key)] = json.dumps(value, ensure_ascii=False) if is_nested else clean_text(value)
    return out


def _typed_values(row: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    """The numeric and stock fields of a row; a value that cannot be read adds an error."""
    out: dict[str, Any] = {}
    parsers = {
        "price": parse_price,
        "currency": parse_currency,
        "rating": parse_rating,
        "review_count": parse_count,
        "in_stock": parse_stock,
        "stock_qty": parse_count,
    }
    for name, parse in parsers.items():
        try:
            out[name] = parse(row.get(name))
        except ValueError as exc:
            errors.append(f"{name}: {exc}")
    return out


def normalize_product(
    row: dict[str, Any], line: int, currency: str = "GBP", warnings: list[str] | None = None
) -> Product | Reject:
    """One canonical-keyed row → a Product, or a Reject naming every bad field."""
    errors: list[str] = []
    pid, title = clean_id(row.get("product_id")), clean_text(row.get("title"))
    errors += [f"empty {name}" for name, v in (("product_id", pid), ("title", title)) if not v]
    typed = _typed_values(row, errors)
    if errors:
        return Reject(line, "; ".join(errors), row)
    attributes = _extras(row)
    try:
        attributes.update(parse_attributes(row.get("attributes")))
    except ValueError as exc:
        if warnings is not None:
            warnings.append(f"line {line}: attributes dropped, {exc}; the row was kept")
    price, price_code = typed["price"] or (None, None)
    in_stock, qty = typed["in_stock"] or (None, None)
    if typed.get("stock_qty") is not None:
        qty = typed["stock_qty"]
        in_stock = qty > 0 if in_stock is None else in_stock
    source = price_code or typed.get("currency")
    if source and source != currency:
        attributes["source_currency"] = source
    return Product(
        product_id=pid,
        title=title,
        description=clean_text(row.get("description")),
        category=clean_category(row.get("category")),
        brand=clean_text(row.get("brand")),
        price=price,
        currency=currency,
        rating=typed.get("rating"),
        review_count=typed.get("review_count"),
        in_stock=in_stock,
        stock_qty=qty,
        image_url=clean_text(row.get("image_url"), unescape=False),
        attributes=attributes,
    )


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    return repr(text[:40] + "…" if len(text) > 40 else text) if isinstance(value, str) else text


def differences(a: Product, b: Product, limit: int = 3) -> str:
    """'price 3.42 vs 4.1, brand 'A' vs 'B'' for the fields that differ."""
    diffs = [
        f"{f.name} {_show(getattr(a, f.name))} vs {_show(getattr(b, f.name))}"
        for f in fields(Product)
        if getattr(a, f.name) != getattr(b, f.name)
    ]
    more = f", +{len(diffs) - limit} more" if len(diffs) > limit else ""
    return ", ".join(diffs[:limit]) + more


def _summarize(warnings: list[str], kind: str) -> list[str]:
    if len(warnings) <= MAX_WARNINGS:
        return warnings
    return warnings[:MAX_WARNINGS] + [f"… and {len(warnings) - MAX_WARNINGS} more {kind}"]


def read_products(
    path: str | Path,
    fmt: str | None = None,
    mapping: dict[str, str] | None = None,
    currency: str = "GBP",
) -> CatalogRead:
    """Read a catalog file; raises InputFileError when the file or a required column is missing."""
    source = read_rows(path, fmt)
    items = list(source)
    out = CatalogRead(read=len(items), warnings=list(source.warnings))
    if source.columns or len(items) == 0 or not all(isinstance(i, Reject) for i in items):
        require_columns(source.path.name, source.columns, REQUIRED, mapping, FIELDS)
    currency = currency.upper()
    seen: dict[str, tuple[int, Product]] = {}
    attr_warnings: list[str] = []
    for item in items:
        if isinstance(item, Reject):
            out.rejects.append(item)
            continue
        line, raw = item
        row = apply_mapping(raw, mapping, FIELDS)
        got = normalize_product(row, line, currency, attr_warnings)
        if isinstance(got, Product) and got.product_id in seen:
            first_line, first = seen[got.product_id]
            same = got == first
            out.duplicates += same
            reason = (
                f"duplicate of line {first_line} (identical)"
                if same
                else f"duplicate product_id {got.product_id}: differs from line {first_line} "
                f"({differences(first, got)})"
            )
            got = Reject(line, reason, row)
        if isinstance(got, Reject):
            out.rejects.append(got)
        else:
            seen[got.product_id] = (line, got)
            out.products.append(got)
            out.lines.append(line)
    out.warnings += _summarize(attr_warnings, "rows with bad attributes")
    return out

"""HTTP protocol models: the OpenAI chat schema (the subset ShopAssist honours) plus its REST bodies.

Limits are part of the protocol: a request outside them gets a 4xx in the OpenAI error format
(`{"error": {"message", "type", "code"}}`) that says which limit and by how much.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_MESSAGES = 50
MAX_MESSAGE_CHARS = 4000
MAX_TOKENS_LIMIT = 1024
MAX_BODY_BYTES = 256 * 1024
MODELS = {"shopassist": "shopper answers", "shopassist-agent": "agent reply drafts"}


class TextPart(BaseModel):
    """One part of a message's content list; ShopAssist reads text parts only."""

    model_config = ConfigDict(extra="allow")

    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[TextPart] | None = None

    @property
    def text(self) -> str:
        """The content as one string (text parts joined by spaces)."""
        if isinstance(self.content, list):
            return " ".join(p.text for p in self.content)
        return self.content or ""

    @field_validator("content")
    @classmethod
    def _length(cls, v):
        text = v if isinstance(v, str) else " ".join(p.text for p in v or [])
        if len(text) > MAX_MESSAGE_CHARS:
            msg = f"a message has {len(text)} characters; the limit is {MAX_MESSAGE_CHARS}"
            raise ValueError(msg)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate ("\ud800"): not text
            msg = f"a message holds invalid Unicode at character {exc.start}"
            raise ValueError(msg) from None
        return v


_OWN_TOOLS = (
    "ShopAssist answers shopping questions with its own tools and calls none of the caller's; "
    "its abilities are tools themselves, over MCP at /mcp (or as LangChain tools)"
)
_NO_LOGPROBS = "the answer mixes code-written facts with model words, so it has no token logprobs"
_TEXT_ONLY = "ShopAssist reads and writes text only"
_SHOP_ONLY = "ShopAssist answers from the shop's catalog, orders and policies"
_SCHEMA = (
    'answers have ShopAssist\'s own shape; {"type": "json_object"} returns it as a JSON '
    "document (answer, cards, citations…)"
)


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatRequest(BaseModel):
    """POST /v1/chat/completions. Fields that ask for what ShopAssist does not do (the caller's
    tools, n > 1, logprobs, audio, a JSON schema…) are refused by `unsupported` before the turn;
    sampling settings (temperature, top_p, seed, penalties) are accepted and not applied."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = Field(default=None, max_length=128)
    max_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS_LIMIT)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS_LIMIT)
    stop: str | Annotated[list[str], Field(max_length=4)] | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    response_format: dict[str, Any] | None = None  # text or json_object (`unsupported`)
    # OpenAI's request metadata; ShopAssist reads `conversation_id` (keeps basket changes of two
    # identical conversations apart: a replay of one conversation applies each change once)
    metadata: dict[str, str] | None = Field(default=None, max_length=16)

    @property
    def conversation_id(self) -> str | None:
        return (self.metadata or {}).get("conversation_id")

    @property
    def stops(self) -> list[str]:
        return [self.stop] if isinstance(self.stop, str) else list(self.stop or [])

    @property
    def max_words(self) -> int | None:
        """The answer's cap: usage counts words, so `max_tokens` caps words too."""
        return self.max_completion_tokens or self.max_tokens

    @property
    def json_mode(self) -> bool:
        return (self.response_format or {}).get("type") == "json_object"

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    @staticmethod
    def unsupported(body: Any) -> tuple[str, str] | None:
        """(param, message) for the first thing in a raw request that ShopAssist does not do."""
        if not isinstance(body, dict):
            return None
        fmt = body.get("response_format")
        fmt_type = fmt.get("type") if isinstance(fmt, dict) else fmt
        checks = [
            ("tools", bool(body.get("tools")), _OWN_TOOLS),
            ("tool_choice", body.get("tool_choice") not in (None, "none"), _OWN_TOOLS),
            ("parallel_tool_calls", body.get("parallel_tool_calls") is not None, _OWN_TOOLS),
            ("functions", bool(body.get("functions")), _OWN_TOOLS),
            ("function_call", body.get("function_call") not in (None, "none"), _OWN_TOOLS),
            ("n", body.get("n") not in (None, 1), "one answer per request (n = 1)"),
            ("logprobs", bool(body.get("logprobs")), _NO_LOGPROBS),
            ("top_logprobs", body.get("top_logprobs") is not None, _NO_LOGPROBS),
            ("audio", body.get("audio") is not None, _TEXT_ONLY),
            ("modalities", body.get("modalities") not in (None, ["text"]), _TEXT_ONLY),
            ("web_search_options", body.get("web_search_options") is not None, _SHOP_ONLY),
            ("response_format", fmt_type not in (None, "text", "json_object"), _SCHEMA),
        ]
        for param, used, why in checks:
            if used:
                return param, f"`{param}` is not supported: {why}"
        messages = body.get("messages")
        for i, m in enumerate(messages if isinstance(messages, list) else []):
            if not isinstance(m, dict):
                continue
            if m.get("role") in ("tool", "function"):
                return (
                    f"messages[{i}].role",
                    f"`{m['role']}` messages are not supported: {_OWN_TOOLS}",
                )
            for key in ("tool_calls", "function_call"):
                if m.get(key):
                    return f"messages[{i}].{key}", f"`{key}` is not supported: {_OWN_TOOLS}"
            parts = m.get("content")
            for j, part in enumerate(parts if isinstance(parts, list) else []):
                kind = part.get("type") if isinstance(part, dict) else None
                if kind not in (None, "text"):
                    why = f"`{kind}` content parts are not supported: {_TEXT_ONLY}"
                    return f"messages[{i}].content[{j}].type", why
        return None

    @field_validator("messages")
    @classmethod
    def _count(cls, v):
        if len(v) > MAX_MESSAGES:
            msg = f"{len(v)} messages; the limit is {MAX_MESSAGES} (send the recent turns only)"
            raise ValueError(msg)
        if not any(m.role == "user" for m in v):
            raise ValueError("messages need at least one user message")
        return v


class EventIn(BaseModel):
    user_id: str = Field(min_length=1, max_length=128)
    product_id: str = Field(min_length=1, max_length=128)
    event: Literal["view", "cart", "purchase", "return", "rating", "search", "review"]
    ts: str | None = None


class FeedbackIn(BaseModel):
    user_id: str = Field(min_length=1, max_length=128)
    message_id: str = Field(min_length=1, max_length=128)
    rating: Literal[1, -1]
    comment: str | None = Field(default=None, max_length=2000)


class AdminProducts(BaseModel):
    upsert: list[dict[str, Any]] = Field(default_factory=list, max_length=5000)
    delete: list[str] = Field(default_factory=list, max_length=5000)


MAX_ADMIN_EVENTS = 2000  # records per POST /v1/admin/events (the body limit applies too)


class EventRecord(BaseModel):
    """One already-normalized event: the canonical fields (`retrieval.ingest.records.EVENT_FIELDS`)
    as `shopassist ingest events` produces them; a time without a zone is UTC."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=512)
    product_id: str | None = Field(default=None, min_length=1, max_length=512)
    event: Literal["view", "cart", "purchase", "return", "rating", "search", "review"]
    ts: datetime
    quantity: int | None = Field(default=None, ge=1)
    rating: float | None = Field(default=None, ge=0, le=5)
    query: str | None = Field(default=None, max_length=4000)
    text: str | None = Field(default=None, max_length=64_000)

    @model_validator(mode="after")
    def _complete(self) -> EventRecord:
        if self.event == "search" and not self.query:
            raise ValueError("a search event needs a query")
        if self.event != "search" and not self.product_id:
            raise ValueError(f"a {self.event} event needs a product_id")
        if self.event == "rating" and self.rating is None:
            raise ValueError("a rating event needs a rating")
        return self


class AdminEvents(BaseModel):
    """POST /v1/admin/events: normalized event records, stored like a file's; `check_forgotten`:
    values (e.g. from rows a client rejected) to test against forgotten users."""

    model_config = ConfigDict(extra="forbid")

    events: list[EventRecord] = Field(default_factory=list, max_length=MAX_ADMIN_EVENTS)
    check_forgotten: list[Annotated[str, Field(max_length=512)]] = Field(
        default_factory=list, max_length=5000
    )


class BasketLineIn(BaseModel):
    """POST /v1/users/{id}/basket: add a quantity of a product (to any line already there)."""

    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=128)
    quantity: int = Field(default=1, ge=1, le=99)
    options: str = Field(default="", max_length=256)  # a chosen variant: "size=M"


class BasketQuantityIn(BaseModel):
    """PATCH /v1/users/{id}/basket: set a line's quantity (0 removes it)."""

    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=128)
    quantity: int = Field(ge=0, le=99)
    options: str = Field(default="", max_length=256)


class DraftIn(BaseModel):
    ticket_text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    customer_id: str = Field(min_length=1, max_length=128)


MAX_DRAFT_CHARS = 8000


class ReplyIn(BaseModel):
    """POST /v1/tickets/{id}/reply: an agent's reply to the ticket's shopper; `draft` is the
    drafted text it began as (kept beside it); `resolve` also resolves the ticket."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    draft: str = Field(default="", max_length=MAX_DRAFT_CHARS)
    resolve: bool = False

    @field_validator("text", "draft")
    @classmethod
    def _text(cls, v: str, info) -> str:
        if info.field_name == "text" and not v.strip():
            raise ValueError("the reply is blank")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate: not text
            raise ValueError(f"invalid Unicode at character {exc.start}") from None
        return v


class CompareIn(BaseModel):
    """POST /v1/compare: two to four product ids."""

    model_config = ConfigDict(extra="forbid")

    product_ids: list[str] = Field(min_length=2, max_length=4)


class ReturnCheckIn(BaseModel):
    """POST /v1/returns/eligibility: an order of the user's, or a product and what they state."""

    model_config = ConfigDict(extra="forbid")

    user_id: str | None = Field(default=None, max_length=128)
    order_id: str | None = Field(default=None, min_length=1, max_length=64)
    product_id: str | None = Field(default=None, min_length=1, max_length=128)
    days_since_delivery: int | None = Field(default=None, ge=0, le=3650)
    opened: bool | None = None

    @model_validator(mode="after")
    def _one_subject(self):
        if (self.order_id is None) == (self.product_id is None):
            raise ValueError("give either order_id (with user_id) or product_id")
        return self


def describe_errors(exc) -> str:
    """A pydantic ValidationError as one line: where and what, for each error."""
    parts = []
    for e in exc.errors():
        where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
        parts.append(f"{where}: {e['msg']}" if where else e["msg"])
    return "; ".join(parts)


def error_body(message: str, type_: str = "invalid_request_error", code: str | None = None) -> dict:
    """The OpenAI error format."""
    return {"error": {"message": message, "type": type_, "code": code}}

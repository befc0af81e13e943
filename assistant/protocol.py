"""HTTP protocol models: the OpenAI chat schema (the subset ShopAssist honours) plus its REST bodies.

Limits are part of the protocol: a request outside them gets a 4xx in the OpenAI error format
(`{"error": {"message", "type", "code"}}`) that says which limit and by how much.
"""

from __future__ import annotations

from typing import Any, Literal

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
        return v


class ChatRequest(BaseModel):
    """POST /v1/chat/completions (unknown OpenAI fields are accepted and ignored)."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    user: str | None = Field(default=None, max_length=128)
    max_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS_LIMIT)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS_LIMIT)
    temperature: float | None = Field(default=None, ge=0, le=2)
    # OpenAI's request metadata; ShopAssist reads `conversation_id` (keeps basket changes of two
    # identical conversations apart: a replay of one conversation applies each change once)
    metadata: dict[str, str] | None = Field(default=None, max_length=16)

    @property
    def conversation_id(self) -> str | None:
        return (self.metadata or {}).get("conversation_id")

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

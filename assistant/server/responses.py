"""Pydantic models of what the chat route sends, in OpenAI's field order: the completion, the
stream's chunks, usage, and ShopAssist's own `shopassist` object (the `ask --json` document
without the answer). Requests are in `assistant/server/protocol.py`."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel

FinishReason = Literal["stop", "length"]


class Usage(BaseModel):
    """Words, not model tokens (see `assistant/server/openai_format.py`)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class Dropped(BaseModel):
    text: str
    reason: str


class Grounding(BaseModel):
    dropped: list[Dropped]


class TurnExtras(BaseModel):
    """What ShopAssist decided for the turn: cards, citations, constraints, timings…"""

    intent: str
    constraints: dict[str, Any]
    cards: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    degraded: bool
    llm_text_used: bool
    timings: dict[str, float]
    ticket_id: int | None
    grounding: Grounding
    basket: dict[str, Any] | None
    message_id: str | None  # what `POST /v1/feedback` names (the same as the completion's id)


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: FinishReason | None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    shopassist: TurnExtras


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: FinishReason | None = None


class ChatCompletionChunk(BaseModel):
    """One `data:` event of a stream; `usage` and `shopassist` only where they are sent."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    shopassist: TurnExtras | None = None

    def wire(self) -> str:
        """The JSON sent: a delta without its unset fields, no null `usage`/`shopassist`."""
        doc = self.model_dump(exclude={"usage", "shopassist"})
        for choice in doc["choices"]:
            choice["delta"] = {k: v for k, v in choice["delta"].items() if v is not None}
        for name in ("usage", "shopassist"):
            if (part := getattr(self, name)) is not None:
                doc[name] = part.model_dump()
        return json.dumps(doc, ensure_ascii=False)

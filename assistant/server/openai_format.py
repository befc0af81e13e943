"""The chat route's OpenAI wire format: the completion, the SSE chunks, usage, stop and limits.

Usage counts words (runs of non-space characters), not model tokens: the answer mixes sentences
written by code with the model's words, and the prompt the model sees is ShopAssist's own, so no
tokenizer count would describe what the caller sent and got. `prompt_tokens` counts the words of
the messages ShopAssist reads (user and assistant turns), `completion_tokens` the words of the
answer as sent, and `max_tokens` / `max_completion_tokens` cap that same count (finish_reason
`length`). `stop` sequences cut the answer before the first one (finish_reason `stop`).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

from assistant.server.protocol import error_body
from assistant.server.responses import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ChunkChoice,
    Delta,
    TurnExtras,
    Usage,
)

log = logging.getLogger(__name__)
_WORD = re.compile(r"\S+")


def words(text: str) -> int:
    return sum(1 for _ in _WORD.finditer(text))


def usage(prompt_words: int, text: str) -> Usage:
    done = words(text)
    return Usage(prompt_tokens=prompt_words, completion_tokens=done,
                 total_tokens=prompt_words + done)  # fmt: skip


class Cut:
    """The answer as the caller asked for it: before the first stop sequence, and at most
    `max_words` words. `feed` returns the text that may be sent now (a possible start of a stop
    sequence is held back until the next piece tells); `finish` says why the answer ended."""

    def __init__(self, stop: list[str], max_words: int | None) -> None:
        self.stop, self.max_words = [s for s in stop if s], max_words
        self.text, self.sent, self.finish = "", 0, None
        self._hold = max((len(s) - 1 for s in self.stop), default=0)

    def feed(self, piece: str, last: bool = False) -> str:
        if self.finish is not None:
            return ""
        self.text += piece
        end = len(self.text) if last else len(self.text) - self._hold
        hits = [i for i in (self.text.find(s) for s in self.stop) if i >= 0]
        if hits:
            end, self.finish = min(hits), "stop"
        if self.max_words is not None:
            seen = list(_WORD.finditer(self.text[:end]))
            if len(seen) > self.max_words:
                end, self.finish = seen[self.max_words - 1].end(), "length"
            elif len(seen) == self.max_words and self.finish is None and not last:
                end = seen[-1].end()  # what follows the last word waits: more, or the end
        end = max(end, self.sent)
        out, self.sent = self.text[self.sent : end], end
        if last and self.finish is None:
            self.finish = "stop"
        return out

    @property
    def answer(self) -> str:
        return self.text[: self.sent]


def extras(result) -> TurnExtras:
    doc = result.to_json()
    doc.pop("answer")
    return TurnExtras.model_validate(doc)


def content(result, answer: str, json_mode: bool) -> str:
    """The message content: the answer, or (response_format json_object) the `ask --json`
    document with that answer, as JSON text."""
    if not json_mode:
        return answer
    return json.dumps({**result.to_json(), "answer": answer}, ensure_ascii=False)


def completion(cid: str, created: int, model: str, result, cut: Cut, prompt_words: int,
               json_mode: bool = False) -> dict:  # fmt: skip
    cut.feed(result.answer, last=True)
    message = AssistantMessage(content=content(result, cut.answer, json_mode))
    return ChatCompletion(
        id=cid,
        created=created,
        model=model,
        choices=[Choice(message=message, finish_reason=cut.finish)],
        usage=usage(prompt_words, cut.answer),
        shopassist=extras(result),
    ).model_dump()


def chunk(cid: str, created: int, model: str, delta: dict | None, finish: str | None = None,
          **extra: Any) -> str:  # fmt: skip
    """One stream event's JSON (`extra`: `usage` and/or `shopassist`)."""
    choices = [] if delta is None else [ChunkChoice(delta=Delta(**delta), finish_reason=finish)]
    body = ChatCompletionChunk(id=cid, created=created, model=model, choices=choices, **extra)
    return body.wire()


async def sse(pieces, cid, created, model, cut: Cut, prompt_words: int, json_mode: bool = False,
              include_usage: bool = False):  # fmt: skip
    """OpenAI-format SSE: role, grounded text pieces (json_object: the whole document at the end),
    a last chunk with the extras, then (`stream_options.include_usage`) a usage chunk with no
    choices, and [DONE]. A turn that fails midway ends with an OpenAI error event (then [DONE]),
    never a cut stream."""
    from assistant.turn.engine_result import TurnResult

    def say(text: str) -> dict:
        return {"data": chunk(cid, created, model, {"content": text})}

    try:
        yield {"data": chunk(cid, created, model, {"role": "assistant", "content": ""})}
        async for piece in pieces:
            if not isinstance(piece, TurnResult):
                if (text := cut.feed(piece)) and not json_mode:
                    yield say(text)
                continue
            if (text := cut.feed("", last=True)) and not json_mode:
                yield say(text)
            if json_mode:
                yield say(content(piece, cut.answer, True))
            yield {"data": chunk(cid, created, model, {}, cut.finish, shopassist=extras(piece))}
            if include_usage:
                yield {
                    "data": chunk(cid, created, model, None, usage=usage(prompt_words, cut.answer))
                }
    except Exception as exc:  # noqa: BLE001 - the client gets a proper error event instead
        ref = uuid.uuid4().hex[:12]
        log.error("stream %s failed (reference %s)", cid, ref, exc_info=exc)
        msg = f"the answer failed midway (reference {ref}); please retry"
        yield {"data": json.dumps(error_body(msg, "server_error"))}
    finally:
        await pieces.aclose()
    yield {"data": "[DONE]"}

"""What a turn tells the shopper about how it read them, once per conversation.

- A Chinese message: the answer is in English (the shipped model cannot write Chinese), said in
  Chinese and in English the first time.
- An amount in another currency: read in the store's currency ("read ¥200 as 200 GBP").

Notices follow the answer (a yes/no answer still starts with its yes or no) and are written by
code, so they never pass through the model.
"""

from __future__ import annotations

from assistant.turn.conversation_refs import message_text

ENGLISH_ONLY = "我目前只能用英文回答。(I read Chinese, but I can only answer in English for now.)"


def notices(request, messages: list[dict], currency: str) -> list[str]:
    """The notices this turn adds: those its last message calls for that no earlier answer of
    the conversation gave."""
    said = " ".join(message_text(m) for m in messages if m.get("role") == "assistant")
    wanted = []
    if request.language == "zh":
        wanted.append(ENGLISH_ONLY)
    for note in request.state.notes:
        if note.startswith("read ") and note.endswith(f" {currency}"):
            wanted.append(f"Note: I {note}, the store's currency.")
    return [n for n in dict.fromkeys(wanted) if n not in said]

"""The plan of one turn: what stages 1-2 (understand, retrieve and decide) leave for generation.

`Engine.plan` builds it; fine-tuning, evaluation and benchmarks build prompts from `plan.ev`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.prompts import Evidence
from assistant.turn.conversation_state import ConversationState
from assistant.turn.understand import Request


@dataclass
class TurnPlan:
    """Stage 2's output: the request, the decided evidence and how the answer opens."""

    request: Request
    ev: Evidence
    question: str
    described: str = ""
    use_llm: bool = True
    ticket_id: int | None = None
    lead: str = ""  # code-written opening (decided facts), shown before the model's words
    # the true cheapest / dearest / best rated id over every qualifying item (the grounder's check)
    truth: dict[str, str] = field(default_factory=dict)
    model_numbers: bool = True  # False: the model's sentences may state no number (the lead does)
    basket: dict | None = None  # the decided basket fact of a basket turn

    @property
    def state(self) -> ConversationState:
        return self.request.state

    @property
    def known_titles(self) -> dict[str, str]:
        return self.request.known_titles

"""The decided-fact record every fact extends, a free decided sentence, and `render`."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# a failed shopping turn starts like this (two in a row open a handoff ticket)
NOTHING = "I couldn't find anything"


@dataclass(frozen=True)
class Fact:
    """A decided fact; subclasses hold its values and write its sentence."""

    def text(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text()

    @property
    def tags(self) -> tuple[str, ...]:
        return ()

    def as_json(self) -> dict:
        return {"kind": type(self).__name__, **asdict(self), "text": self.text()}


def render(facts) -> str:
    """Facts as one paragraph, in order (the lead of a service answer)."""
    return " ".join(str(f) for f in facts)


@dataclass(frozen=True)
class Note(Fact):
    """A decided sentence whose only values are its words ("Please sign in …")."""

    sentence: str

    def text(self) -> str:
        return self.sentence

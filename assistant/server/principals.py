"""Who is calling: API keys and the principals they stand for (no heavy imports: settings use it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, and for shoppers the one user id they may act for."""

    role: str  # admin | agent | shopper
    user_id: str | None = None

    def can_act_for(self, user_id: str | None) -> bool:
        return self.role in ("admin", "agent") or (user_id is not None and user_id == self.user_id)


LOCAL = Principal("admin")  # no keys configured: loopback only, full access


def parse_keys(spec: str) -> dict[str, Principal]:
    """'k1=admin,k2=shopper:u001' → {key: Principal}; a malformed entry raises ValueError."""
    keys: dict[str, Principal] = {}
    entries = [e.strip() for e in spec.split(",")]
    for n, entry in enumerate(filter(None, entries), 1):
        key, _, role = entry.partition("=")
        role, _, user = role.partition(":")
        if (
            not key
            or role not in ("admin", "agent", "shopper")
            or (role == "shopper") != bool(user)
        ):  # the message names the entry by position and role, never by its (secret) key
            msg = (f"SHOPASSIST_API_KEYS entry {n} has role {role!r}"
                   f"{' and no key' if not key else ''}: use KEY=admin, KEY=agent or "
                   "KEY=shopper:USER_ID")  # fmt: skip
            raise ValueError(msg)
        keys[key] = Principal(role, user or None)
    return keys

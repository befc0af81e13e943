"""Web-UI logins: each sign-in gets its own random session token bound to the key's principal.

The principal lives with the login (its cookie), never with the typed name, so an admin who signs
in as "u001" changes nothing for u001's own sessions.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from assistant.server.principals import Principal

COOKIE = "shopassist_login"
LIFETIME_S = 12 * 3600
MAX_SESSIONS = 10_000


@dataclass(frozen=True)
class Login:
    """One signed-in browser: who it acts as, the name it typed, when it expires."""

    principal: Principal
    name: str
    expires: float

    @property
    def display(self) -> str:
        """What the UI shows: the shopper id, or the staff name and role."""
        p = self.principal
        return p.user_id if p.role == "shopper" else f"{self.name} ({p.role})"


class Logins:
    """Session token → Login, in memory, expiring; bounded so sign-ins can't exhaust memory."""

    def __init__(self) -> None:
        self._by_token: dict[str, Login] = {}
        self._lock = threading.Lock()

    def sign_in(self, principal: Principal, name: str) -> str:
        """A new session token for this principal."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            if len(self._by_token) >= MAX_SESSIONS:
                self._by_token = {t: x for t, x in self._by_token.items() if x.expires > now}
                while len(self._by_token) >= MAX_SESSIONS:  # still full: the oldest go first
                    self._by_token.pop(next(iter(self._by_token)))
            self._by_token[token] = Login(principal, name, now + LIFETIME_S)
        return token

    def get(self, token: str | None) -> Login | None:
        """The live login for a token (None: unknown or expired)."""
        if not token:
            return None
        with self._lock:
            login = self._by_token.get(token)
            if login is not None and login.expires <= time.time():
                del self._by_token[token]
                login = None
        return login

    def sign_out(self, token: str | None) -> None:
        with self._lock:
            self._by_token.pop(token or "", None)

"""One writer: the CLI's write commands go through a running `shopassist serve` when there is one.

With the default embedded Chroma (a folder in the data dir) the store must be opened by one
process only while `serve` runs: a second client on the same folder is not multi-process safe,
and the server would keep serving what it had. So `ingest products|events` and `forget-user`
send their writes over HTTP to `--server URL`, or to the server on SHOPASSIST_SERVE_HOST/PORT
when its /healthz says it holds this data dir's Chroma folder; the other write commands refuse
while such a server runs. `--local` skips the check and opens the store here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import typer

from assistant.cli.common import fail, settings

PROBE_TIMEOUT_S = 0.5  # a server on the configured address answers /healthz well within this
PATIENT_PROBE_S = 5.0  # …unless busy: something listening gets this long before we give up
WRITE_TIMEOUT_S = 600.0
KEY_ENV = "SHOPASSIST_ADMIN_KEY"
KEY_HINT = f"pass an admin key with --key KEY or set {KEY_ENV}"
WILDCARD = ("0.0.0.0", "::", "")
LOOPBACK = ("127.0.0.1", "localhost", "::1")

ServerOpt = typer.Option(
    None,
    "--server",
    help="Write through the ShopAssist server at this URL. Default: the server on "
    "SHOPASSIST_SERVE_HOST/PORT when it holds this data dir's Chroma folder, else the store here.",
)
LocalOpt = typer.Option(
    False,
    "--local",
    help="Open the store here without looking for a server (safe only when no running server "
    "uses this data dir's Chroma folder).",
)
KeyOpt = typer.Option(
    None, "--key", envvar=KEY_ENV, help="Admin API key, for a server with SHOPASSIST_API_KEYS."
)


class ServerError(Exception):
    """A request to the server failed; the message says what and why, in one line."""


def encode(body: Any) -> bytes:
    """A request body as sent (and as sized for batching)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()


@dataclass
class Server:
    """A running ShopAssist server to write through."""

    url: str
    key: str | None = None
    trust_env: bool = True  # use proxy variables (never for a loopback address)
    _client: Any = field(default=None, repr=False)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """The JSON reply; ServerError for no answer, a refused key or any other 4xx/5xx."""
        import httpx

        if self._client is None:
            self._client = httpx.Client(trust_env=self.trust_env, timeout=WRITE_TIMEOUT_S)
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        content = None
        if body is not None:
            content = encode(body)
            headers["Content-Type"] = "application/json"
        try:
            resp = self._client.request(method, self.url + path, content=content, headers=headers)
        except httpx.HTTPError as exc:
            msg = f"the server at {self.url} did not answer {method} {path}: {exc!r}"
            raise ServerError(msg) from None
        if resp.status_code == 401:
            said = "needs an admin API key" if not self.key else "does not accept that key"
            raise ServerError(f"the server at {self.url} {said}: {KEY_HINT}")
        if resp.status_code == 403:
            msg = f"the server at {self.url} refused the key ({_message(resp)}): {KEY_HINT}"
            raise ServerError(msg)
        if resp.status_code >= 400:
            msg = (f"the server at {self.url} refused {method} {path} with {resp.status_code}: "
                   f"{_message(resp)}")  # fmt: skip
            raise ServerError(msg)
        return resp.json()


def _message(resp) -> str:
    try:
        return str(resp.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return resp.text[:200] or resp.reason_phrase


def probe(url: str, timeout: float, trust_env: bool) -> tuple[str, dict]:
    """('shopassist', its /healthz body) when a ShopAssist server answers GET {url}/healthz (JSON
    with a status, any HTTP status: a server whose LLM is down still holds its store);
    ('timeout', {}) when something took the connection but did not answer in time; else why not."""
    import httpx

    try:
        resp = httpx.get(url + "/healthz", timeout=timeout, trust_env=trust_env)
    except httpx.TimeoutException:
        return "timeout", {}
    except httpx.HTTPError as exc:
        return f"no answer ({type(exc).__name__})", {}
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "status" in body:
        return "shopassist", body
    return f"not a ShopAssist /healthz (HTTP {resp.status_code})", {}


def configured_url(cfg) -> str:
    """Where `shopassist serve` listens with these settings."""
    host = cfg.serve_host
    if host in WILDCARD or (not cfg.api_keys and host not in LOOPBACK):
        host = "127.0.0.1"  # what serve binds (without keys it binds loopback only)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{cfg.serve_port}"


def find_server(server: str | None, local: bool, key: str | None) -> Server | None:
    """The server to write through, or None to open the store here. `--server` always; else the
    server on the configured address when it holds this data dir's embedded Chroma folder (a
    Chroma server takes writers from any number of processes; a server on another folder is
    no reason not to write this one). Exits on a contradiction, a --server that does not
    answer, or a configured address that answers too slowly to tell."""
    from retrieval.storage.folder import chroma_folder_id

    if server and local:
        fail("--server and --local contradict each other: choose one")
    if local:
        return None
    if server:
        url = server.rstrip("/")
        if not url.startswith(("http://", "https://")):
            url = "http://" + url
        proxied = urlsplit(url).hostname not in LOOPBACK  # proxy variables: not for loopback
        state, _ = probe(url, PATIENT_PROBE_S, trust_env=proxied)
        if state != "shopassist":
            fail(f"no ShopAssist server at {url}: GET /healthz gave {state}")
        return Server(url, key, trust_env=proxied)
    cfg = settings()
    mine = chroma_folder_id(cfg.chroma_mode, cfg.data_dir)
    if mine is None:  # not an embedded folder, or none yet: no server can hold it
        return None
    url = configured_url(cfg)
    state, health = probe(url, PROBE_TIMEOUT_S, trust_env=False)
    if state == "timeout":
        state, health = probe(url, PATIENT_PROBE_S, trust_env=False)
    if state == "timeout":
        fail(f"something listens at {url} but /healthz did not answer in {PATIENT_PROBE_S:g} s: "
             f"pass --server {url} to write through it, or --local if it does not use this "
             "store")  # fmt: skip
    if state == "shopassist" and health.get("chroma_folder") == mine:
        return Server(url, key, trust_env=False)
    return None


def refuse_if_served(local: bool) -> None:
    """For write commands that cannot go through a server: exit while one holds the store."""
    if local:
        return
    found = find_server(None, False, None)
    if found is not None:
        fail(f"a server is running at {found.url} and holds this store's Chroma folder; a "
             "second process writing it would corrupt it: stop the server first, or use a Chroma "
             "server (SHOPASSIST_CHROMA_MODE=http); --local skips this check")  # fmt: skip


def item_bytes() -> int:
    """The most one item may take: the API's body limit, less the request's wrapping."""
    from assistant.server.protocol import MAX_BODY_BYTES

    return MAX_BODY_BYTES - 1024


def batches(items: Iterable, size_of, max_items: int) -> Iterator[list]:
    """`items` in runs of at most `max_items` whose encoded sizes add up to at most 3/4 of the
    API's body limit (an item bigger than that goes alone; callers keep out items over
    `item_bytes()`)."""
    from assistant.server.protocol import MAX_BODY_BYTES

    budget = MAX_BODY_BYTES * 3 // 4  # each request stays well under the limit
    batch, used = [], 0
    for item in items:
        n = size_of(item) + 1
        if batch and (used + n > budget or len(batch) >= max_items):
            yield batch
            batch, used = [], 0
        batch.append(item)
        used += n
    if batch:
        yield batch

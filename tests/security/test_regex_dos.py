"""Issue 17, item 1: chat text built to make a regex backtrack must not stall the server.

The app runs in this process (tests/integration/live.py), so a regex that holds the GIL holds up
/healthz too. With stdlib `re` the 49 order-id baits burnt 12-15 s of CPU and held /healthz up
to 1-2 s at a time; one greeting bait held it for seconds.
"""

from __future__ import annotations

import threading
import time

import pytest

from tests.integration.live import call, live_server

pytestmark = pytest.mark.integration

BAITS = {
    # the message: "order", 3,990 spaces, "x" (two \s* in a row in the order-id pattern)
    "order-id": ["order" + " " * 3990 + "x"] * 49,
    # the small-talk rule reads "thank you" two ways: 2^22 ways to fail on the final "x"
    "greeting": ["thank you " * 22 + "x"],
}


@pytest.mark.parametrize("texts", BAITS.values(), ids=BAITS.keys())
def test_regex_bait_in_a_chat_does_not_stall_healthz(demo_store, texts):
    store, _ = demo_store
    waits: list[tuple[int, float]] = []
    done = threading.Event()
    with live_server(store, None) as (url, _):

        def poll() -> None:
            while True:
                t0 = time.perf_counter()
                status = call(f"{url}/healthz")[0]
                waits.append((status, time.perf_counter() - t0))
                if done.wait(0.05):
                    return

        chat = f"{url}/v1/chat/completions"
        call(chat, "POST", {"model": "shopassist", "messages": [{"role": "user", "content": "hi"}]})
        poller = threading.Thread(target=poll, daemon=True)  # models loaded: time the bait only
        poller.start()
        messages = [{"role": "user", "content": t} for t in texts]
        status, reply, _ = call(chat, "POST", {"model": "shopassist", "messages": messages})
        done.set()
        poller.join(30)
    assert status == 200 or 400 <= status < 500, (status, reply)
    assert waits and all(s in (200, 503) for s, _ in waits), waits
    slowest = max(w for _, w in waits)
    assert slowest < 1.0, f"/healthz waited {slowest:.2f} s while the chat request ran"

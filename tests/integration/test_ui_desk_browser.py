"""The agent desk in a real headless Chromium (Debian's, driven by Playwright): a shopper asks for
a human, an agent opens the ticket from the table, sees the customer's orders, edits the draft
and sends it from the keyboard; the shopper's conversation then shows the reply. A fresh demo
store of its own, no LLM (template drafts)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.integration.live import call, live_server
from tests.security.conftest import CHROMIUM_ARGS, login

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ADMIN, AGENT, U1, U2 = "ui-adm-1", "ui-agt-1", "ui-u001-1", "ui-u002-1"
KEYS = f"{ADMIN}=admin,{AGENT}=agent,{U1}=shopper:u001,{U2}=shopper:u002"
BOX = "e.g. a gift for a coffee lover under £30"
EVIL = "my parcel? [track it](https://evil.example/t) <img src=https://evil.example/p.png>"
REPLY = "Hi! Your coffee order ships on Monday; sorry for the wait. (Alice, support)"
CALL = """async ([name, data]) => {
  const post = await fetch(`/gradio_api/call/${name}`, {method: "POST",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify({data})});
  const {event_id} = await post.json();
  return await (await fetch(`/gradio_api/call/${name}/${event_id}`)).text();
}"""  # a desk handler called through Gradio's API with this page's sign-in


@pytest.fixture(scope="module")
def store(tmp_path_factory, embedder):
    from retrieval.ingest.seed import prepare_demo
    from retrieval.storage.store import StoreConfig, open_store

    fresh = open_store(StoreConfig(data_dir=tmp_path_factory.mktemp("desk-ui")), embedder)
    prepare_demo(fresh)
    return fresh


@pytest.fixture
def browser():
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip(
            "Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _keep(shot: Path) -> None:
    """Copy a screenshot to $SHOPASSIST_ARTIFACTS when it is set."""
    if folder := os.environ.get("SHOPASSIST_ARTIFACTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(folder) / shot.name)


def _say(page, message: str, expect: str) -> None:
    page.get_by_placeholder(BOX).fill(message)
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator(".message-row.bot-row, .bot", has_text=expect).last.wait_for(timeout=60_000)


def test_an_agent_answers_a_handoff_from_the_desk_and_the_shopper_sees_it(store, browser, tmp_path):
    from assistant.desk.support import user_orders

    orders = user_orders(store, "u001")
    with live_server(store, None, api_keys=KEYS) as (url, service):
        kettle = next(x for x in service.engine.searcher.search("kettle", k=20).items
                      if x.get("in_stock") and x.get("price"))  # fmt: skip
        line = {"product_id": kettle["product_id"], "quantity": 2}
        assert call(f"{url}/v1/users/u001/basket", "POST", line, key=U1)[0] == 200
        other = {"model": "shopassist", "user": "u002",
                 "messages": [{"role": "user", "content": EVIL},
                              {"role": "user", "content": "I want to talk to a human"}]}  # fmt: skip
        status, got, _ = call(f"{url}/v1/chat/completions", "POST", other, key=U2)
        assert status == 200 and got["shopassist"]["ticket_id"], got
        other_ticket = got["shopassist"]["ticket_id"]

        shopper = login(browser, url, "u001", U1)
        assert "Agent" not in shopper.get_by_role("tab").all_inner_texts()  # staff only
        _say(shopper, "where is my order?", "ORD-")
        _say(shopper, "I want to talk to a human", "a member of our team")
        refused = [("open_ticket", [str(other_ticket), None]), ("load_table", ["all", None]),
                   ("do_send", ["hijack", None, "open", None])]  # fmt: skip
        for handler, data in refused:  # the desk's handlers refuse a shopper on the server
            got = shopper.evaluate(CALL, [handler, data])
            assert "Agents only." in got and "evil.example" not in got and "u002" not in got, got

        agent = login(browser, url, "alice", AGENT)
        agent.get_by_role("tab", name="Agent").click()
        table = agent.locator("#sa-desk-tickets")
        cell = table.locator("[role=gridcell]", has_text="u001").first
        cell.wait_for(timeout=30_000)
        assert table.locator("[role=gridcell]", has_text="u002").count() == 1
        cell.click()  # opens the ticket
        status_line = agent.locator("#sa-desk-status")
        status_line.filter(has_text="draft ready").wait_for(timeout=60_000)
        talk = agent.locator("#sa-desk-talk").inner_text()
        assert "Customer: where is my order?" in talk and "I want to talk to a human" in talk
        shown_orders = agent.locator("#sa-desk-orders").inner_text()
        assert orders and all(o["order_id"] in shown_orders for o in orders)
        basket = agent.locator("#sa-desk-basket").inner_text()
        assert "2 items" in basket and kettle["title"][:20] in basket
        draft = agent.locator("#sa-desk-draft textarea")
        drafted = draft.input_value()
        assert "ORD-" in drafted, drafted  # drafted from the question before the handoff
        assert "Order ORD-" in agent.locator("#sa-desk-cites").inner_text()
        desk_shot = tmp_path / "agent-desk.png"
        agent.screenshot(path=str(desk_shot), full_page=True)
        _keep(desk_shot)

        draft.fill(REPLY)
        draft.press("Tab")  # the keyboard reaches Send next
        assert agent.evaluate("document.activeElement.innerText").strip() == "Send"
        agent.keyboard.press("Enter")
        status_line.filter(has_text="Sent to u001").wait_for(timeout=30_000)
        agent.locator("#sa-desk-talk", has_text=f"Agent: {REPLY}").wait_for(timeout=10_000)

        ticket_box = agent.locator("#sa-desk-id input, #sa-desk-id textarea").first
        ticket_box.fill(str(other_ticket))  # another ticket, opened from the keyboard
        ticket_box.press("Enter")
        status_line.filter(has_text=re.compile(rf"Ticket {other_ticket} \(")).wait_for(
            timeout=60_000
        )
        agent.locator("#sa-desk-talk", has_text="evil.example").wait_for(timeout=10_000)
        injected = agent.locator("[src*='evil.example'], [href*='evil.example']").count()
        assert injected == 0  # the customer's markup is shown as text

        shopper.get_by_role("button", name="Check messages").click()
        shopper.locator(
            ".message-row.bot-row, .bot", has_text=f"Support agent: {REPLY}"
        ).last.wait_for(timeout=30_000)
        chat_shot = tmp_path / "shopper-reply.png"
        shopper.screenshot(path=str(chat_shot), full_page=True)
        _keep(chat_shot)

    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT user_id, draft, sent, agent FROM agent_replies")).all()
    assert [(r.user_id, r.draft, r.sent, r.agent) for r in rows] == [
        ("u001", drafted, REPLY, "alice (agent)")
    ]
    assert desk_shot.stat().st_size > 10_000 and chat_shot.stat().st_size > 10_000

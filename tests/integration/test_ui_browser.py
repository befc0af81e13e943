"""The web UI in a real headless Chromium (Debian's, driven by Playwright; no browser download)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.llm import LLMConfig, LLMRuntime

from .live import live_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip(
            "Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
        )
    return path


def test_shopper_sends_a_message_and_sees_a_streamed_answer_with_cards(demo_store, vllm_server):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    chromium = _chromium()
    store, _ = demo_store
    runtime = LLMRuntime(
        LLMConfig(vllm_url=vllm_server.base_url, max_tokens=100, timeout_s=120)
    ).start()
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(store, runtime) as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(url + "/", wait_until="load")
        page.locator("#sa-basket").wait_for(timeout=30_000)  # the app has rendered
        page.get_by_placeholder("e.g. a gift for a coffee lover under £30").fill(
            "board games under £20"
        )
        page.get_by_role("button", name="Send").click()
        page.wait_for_selector(".sa-card", timeout=120_000)
        cards = page.locator(".sa-card")
        assert cards.count() >= 1
        assert "£" in cards.first.inner_text()
        answer = page.locator(".message-row.bot-row, .bot").last.inner_text(timeout=10_000)
        assert "board game" in answer.lower() or "[P" in answer or "option" in answer.lower()
        page.screenshot(path=str(ARTIFACTS / "ui-shop.png"), full_page=True)
        page.get_by_role("button", name="Like").last.click()  # the thumb on the answer
        page.get_by_role("button", name="Liked").wait_for(timeout=10_000)
        thumb = _wait_for_feedback(store)
        browser.close()
    assert (ARTIFACTS / "ui-shop.png").stat().st_size > 10_000
    # stored under the id the answer was logged with: the thumb names this answer, for u001
    assert thumb.rating == 1 and thumb.user_id == "u001" and thumb.logged_for == "u001"
    assert "board game" in thumb.question.lower()


def _wait_for_feedback(store, timeout_s: float = 15.0):
    import time

    from sqlalchemy import text

    sql = text("SELECT f.rating, f.user_id, a.user_id AS logged_for, a.messages FROM feedback f "
               "JOIN answer_log a ON a.message_id = f.message_id ORDER BY f.feedback_id DESC")  # fmt: skip
    deadline = time.time() + timeout_s
    while True:
        with store.engine.connect() as conn:
            row = conn.execute(sql).first()
        if row is not None or time.time() > deadline:
            break
        time.sleep(0.2)
    assert row is not None, "the thumb was not stored under the answer's message id"
    row = row._asdict()
    row["question"] = json.loads(row.pop("messages"))[-1]["content"]
    return SimpleNamespace(**row)


def test_shopper_adds_by_chat_sees_the_basket_and_removes_from_the_panel(demo_store, vllm_server):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    chromium = _chromium()
    store, _ = demo_store
    runtime = LLMRuntime(
        LLMConfig(vllm_url=vllm_server.base_url, max_tokens=60, timeout_s=120)
    ).start()
    with live_server(store, runtime) as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(url + "/", wait_until="load")
        page.locator("#sa-basket").wait_for(timeout=30_000)  # the app has rendered
        box = page.get_by_placeholder("e.g. a gift for a coffee lover under £30")
        box.fill("show me kettles")
        page.get_by_role("button", name="Send").click()
        page.wait_for_selector(".sa-card", timeout=120_000)
        first = page.locator(".sa-card").first.get_attribute("data-product-id")
        box.fill("add the first one to my basket")
        page.get_by_role("button", name="Send").click()
        row = page.locator("#sa-basket tr[data-product-id]")
        row.first.wait_for(timeout=60_000)
        assert row.count() == 1 and "1 item" in page.locator("#sa-basket").inner_text()
        added = row.first.get_attribute("data-product-id")
        assert added == first  # "the first one" is the first item shown
        page.screenshot(path=str(ARTIFACTS / "ui-basket.png"), full_page=True)
        page.get_by_role("button", name="Remove line").click()
        page.locator("#sa-basket", has_text="Your basket is empty.").wait_for(timeout=30_000)
        browser.close()
    from retrieval.storage.basket import get_basket

    assert get_basket(store, "u001").lines == []  # the panel's remove reached the store

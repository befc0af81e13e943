"""Black-box attacks on the web UI in a real browser (issue 17, items 2, 4, 5 and 7's markup)."""

from __future__ import annotations

import csv
import os
import tempfile
import time
from pathlib import Path

import pytest

from tests.integration.live import call

from .conftest import ADMIN, SHOPPER1, keyed_server, login, model_holder

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BOX = "e.g. a gift for a coffee lover under £30"


def _say(page, text: str) -> str:
    """Send a chat message; the last assistant message once it has settled."""
    before = page.locator(".message-row.bot-row, .bot").count()
    page.get_by_placeholder(BOX).fill(text)
    page.get_by_role("button", name="Send").click()
    bot = page.locator(".message-row.bot-row, .bot")
    deadline = time.time() + 60
    while bot.count() <= before and time.time() < deadline:
        time.sleep(0.2)
    page.wait_for_timeout(1500)  # let the stream finish
    return bot.last.inner_text()


def test_ui_messages_obey_the_api_message_limit(store, browser):
    with keyed_server(store) as (url, _):
        page = login(browser, url, "u001", SHOPPER1)
        reply = _say(page, "mug " * 1200)  # 4,800 characters
    assert "4000" in reply.replace(",", "") and "limit" in reply.lower()


def test_ui_waits_in_the_same_model_queue_as_the_api(store, browser):
    """One model slot, no queue, an API shopper holding it: the UI shopper is told to retry."""

    with keyed_server(store, model_concurrency=1, max_queue=0) as (url, service):
        holder = model_holder(url, service, 8)
        page = login(browser, url, "u001", SHOPPER1)
        holder.start()
        time.sleep(1)
        reply = _say(page, "show me mugs")
        holder.join()
    assert "busy" in reply.lower() and "try again" in reply.lower(), reply


def test_an_admin_login_named_like_a_shopper_gives_that_shopper_nothing(store, browser):
    with keyed_server(store) as (url, _):
        shopper = login(browser, url, "u001", SHOPPER1)
        login(browser, url, "u001", ADMIN)  # an admin who typed a shopper's name
        shopper.get_by_role("tab", name="Admin").click()
        shopper.get_by_role("button", name="Refresh stats").click()
        shopper.wait_for_timeout(2000)
        shown = shopper.locator("body").inner_text()
    assert "admins only" in shown


def _catalog(path: Path, rows: int) -> Path:
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["product_id", "title", "description", "category", "price", "in_stock"])
        for i in range(rows):
            out.writerow([f"big-{i:04d}", f"Stoneware mug no. {i}", "A sturdy mug. " * 60,
                          "Home > Kitchen > Mugs", f"{5 + i % 20}.99", "true"])  # fmt: skip
    return path


def test_only_admins_upload_and_a_large_catalog_lands_without_leftovers(store, browser, tmp_path):
    big = _catalog(tmp_path / "catalog-attack-4711.csv", 320)
    assert big.stat().st_size > 256 * 1024
    with keyed_server(store) as (url, service):
        shopper = login(browser, url, "u001", SHOPPER1)
        refused = shopper.request.post(
            url + "/gradio_api/upload",
            multipart={"files": {"name": "x.csv", "mimeType": "text/csv", "buffer": b"a,b\n"}},
        )
        admin = login(browser, url, "staff", ADMIN)
        admin.get_by_role("tab", name="Admin").click()
        admin.locator("input[type=file]").set_input_files(str(big))
        deadline = time.time() + 180
        while service.store.get_product("big-0319") is None and time.time() < deadline:
            time.sleep(1)
        admin.wait_for_timeout(1500)
        report = admin.locator("body").inner_text()
    assert refused.status in (401, 403)
    assert service.store.get_product("big-0319") is not None and "inserted" in report
    uploads = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    left = [p for p in uploads.rglob("catalog-attack-4711*") if p.is_file()]
    assert not left, f"uploaded copies left behind: {left}"


def test_product_text_cannot_inject_links_images_or_script_urls(store, browser):
    evil = {"product_id": "evil-1", "title": "Brass desk lamp", "category": "Home > Lighting",
            "price": 20, "in_stock": True, "image_url": "javascript:alert(1)",
            "description": "![px](https://evil.example/pixel.png) [win a prize](https://evil.example/p)"
                           " <img src=https://evil.example/x.png>"}  # fmt: skip
    with keyed_server(store) as (url, _):
        assert call(f"{url}/v1/admin/products", "POST", {"upsert": [evil]}, key=ADMIN)[0] == 200
        page = login(browser, url, "u001", SHOPPER1)
        _say(page, "a brass desk lamp")
        page.wait_for_selector(".sa-card", timeout=60_000)
        page.get_by_label("Open a product (records a view)").click()
        page.get_by_role("option").first.click()
        page.get_by_text("Brass desk lamp").last.wait_for(timeout=20_000)
        page.wait_for_timeout(1000)
        injected = page.locator(
            "[src*='evil.example'], [href*='evil.example'], [src^='javascript:' i]"
        ).count()
        shown = page.locator("body").inner_text()
    assert injected == 0
    assert "win a prize" in shown  # the text is shown, as text

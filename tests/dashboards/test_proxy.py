"""The dashboard behind a reverse proxy with a base path: ``dq-monitor dashboard
--base-path /dq`` (Streamlit's ``server.baseUrlPath``) behind a real loopback proxy that
forwards HTTP and websockets (``tests/dashboards/proxy.py``), opened in Chromium."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.dashboards.proxy import reverse_proxy
from tests.dashboards.test_browser import CHROMIUM_ARGS, ERRORS, WAIT_MS, chromium_or_skip
from tests.helpers.dashboard import free_port, seeded_config, served_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard under /dq, reached only through the proxy: yields the proxy's /dq URL."""
    chromium_or_skip()
    folder = tmp_path_factory.mktemp("proxy")
    config = seeded_config(folder)
    with served_dashboard(config, folder / "dashboard.log", base_path="/dq") as direct, \
            reverse_proxy(urlsplit(direct).netloc, free_port()) as proxy:
        yield f"{proxy}/dq"


class TestBehindAReverseProxy:
    def test_the_health_check_answers_under_the_base_path_only(self, proxied: str):
        with urllib.request.urlopen(f"{proxied}/_stcore/health", timeout=10) as answer:
            assert answer.status == 200
        root = proxied.removesuffix("/dq")
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{root}/_stcore/health", timeout=10)

    def test_a_table_link_opens_through_the_proxy_over_its_websocket(self, proxied: str):
        from playwright.sync_api import sync_playwright

        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=chromium_or_skip(),
                                             args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 1200})
            failed: list[str] = []
            page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
                    if r.status >= 400 else None)
            sockets: list[Any] = []
            page.on("websocket", lambda socket: sockets.append(socket))

            page.goto(f"{proxied}/?table=orders", wait_until="domcontentloaded")
            page.get_by_role("heading", name="orders", exact=True).wait_for(timeout=WAIT_MS)
            page.get_by_role("heading", name="What is wrong now").wait_for(timeout=WAIT_MS)

            assert page.locator(ERRORS).count() == 0
            assert failed == []
            assert [urlsplit(s.url).path for s in sockets] == ["/dq/_stcore/stream"]
            assert urlsplit(page.url).path.startswith("/dq/")
            browser.close()

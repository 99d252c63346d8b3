"""The built book in a real browser: headless Chromium (Debian's), driven by Playwright, with every request
outside the local server blocked, so Vega and the widget manager must come from the build itself.

Every page: loads with no console errors and no blocked request; every Altair chart renders an SVG; a chart
with a control (drop-down or slider) changes when the control changes. A screenshot of each page is saved in
test-artifacts/screenshots/ (light and dark mode for the intro).
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

from conftest import ROOT, toc_pages

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def server(built_book: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/ensure-chromium.sh (make test does) or set CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync", "--disable-quic"],
        )
        yield b
        b.close()


class PageVisit:
    """Open one page offline; collect console errors, page errors and blocked (external) requests."""

    def __init__(self, browser, server: str, path: str, color_scheme: str = "light"):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=color_scheme)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def route(r):
            if r.request.url.startswith(server):
                r.continue_()
            else:
                self.blocked.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)
        self.page.goto(f"{server}/{path}", wait_until="networkidle")

    def charts(self):
        return self.page.locator(".embedkit-chart")

    def close(self):
        self.context.close()


def content_pages(html: Path) -> list[str]:
    pages = [f"{page}.html" for page in toc_pages()]
    missing = [p for p in pages if not (html / p).is_file()]
    assert not missing, f"pages in _toc.yml that the build did not write: {missing}"
    return pages


def test_intro_chart_renders_and_responds_offline(browser, server):
    visit = PageVisit(browser, server, "intro.html")
    try:
        chart = visit.charts().first
        chart.locator("svg").first.wait_for(timeout=15_000)
        labels = lambda: chart.locator("svg .role-axis-label text, svg g.mark-text text").all_text_contents()
        before = labels()
        assert "snake" in before and "toad" in before  # frog's neighbours
        chart.locator("select").select_option("king")
        visit.page.wait_for_timeout(500)
        after = labels()
        assert after != before and "queen" in after
        assert not visit.blocked, f"requests outside the book: {visit.blocked}"
        assert not visit.errors, visit.errors
        SHOTS.mkdir(parents=True, exist_ok=True)
        visit.page.screenshot(path=SHOTS / "intro.png", full_page=True)
    finally:
        visit.close()


def test_intro_widget_state_renders_offline(browser, server):
    visit = PageVisit(browser, server, "intro.html")
    try:
        # The saved widget (text box + output) is rendered by the vendored widget manager.
        visit.page.locator(".jupyter-widgets input[type=text], .widget-text input").first.wait_for(timeout=15_000)
        value = visit.page.locator(".jupyter-widgets input[type=text], .widget-text input").first.input_value()
        assert value == "frog"
        assert not visit.blocked and not visit.errors, (visit.blocked, visit.errors)
    finally:
        visit.close()


def test_every_page_loads_offline_and_its_charts_render(browser, server, built_book):
    pages = content_pages(built_book)
    assert "intro.html" in pages and len(pages) >= 5
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for path in pages:
        visit = PageVisit(browser, server, path)
        try:
            charts = visit.charts()
            for i in range(charts.count()):
                try:
                    charts.nth(i).locator("svg, canvas").first.wait_for(timeout=15_000)
                except Exception:
                    problems.append(f"{path}: chart {i} did not render: {charts.nth(i).inner_text()[:200]}")
            # A chart with controls must respond to them.
            for i in range(charts.count()):
                control = charts.nth(i).locator(".vega-bindings select, .vega-bindings input[type=range]").first
                if control.count() == 0:
                    continue
                svg = lambda: charts.nth(i).locator("svg").first.inner_html()
                before = svg()
                if control.evaluate("e => e.tagName") == "SELECT":
                    current = control.input_value()
                    options = [o for o in control.locator("option").evaluate_all("os => os.map(o => o.value)") if o != current]
                    if not options:
                        continue
                    control.select_option(options[-1])
                else:  # move the slider to whichever end it is not at
                    control.evaluate(
                        "e => { e.value = (e.value == e.max ? e.min : e.max);"
                        " e.dispatchEvent(new Event('input', {bubbles: true})); }"
                    )
                visit.page.wait_for_timeout(300)
                if svg() == before:
                    problems.append(f"{path}: chart {i} did not change when its control changed")
            if visit.blocked:
                problems.append(f"{path}: requests outside the book: {visit.blocked[:3]}")
            if visit.errors:
                problems.append(f"{path}: console errors: {visit.errors[:3]}")
            name = path.replace("/", "__").removesuffix(".html")
            visit.page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
        finally:
            visit.close()
    assert not problems, "\n".join(problems)


def test_dark_mode_keeps_charts_readable(browser, server):
    visit = PageVisit(browser, server, "intro.html", color_scheme="dark")
    try:
        visit.page.evaluate("document.documentElement.dataset.theme = 'dark'")
        chart = visit.charts().first
        chart.locator("svg").first.wait_for(timeout=15_000)
        # Axis labels use a mid grey that reads on both backgrounds, never the default black.
        fill = chart.locator("svg .role-axis-label text").first.evaluate("e => getComputedStyle(e).fill")
        assert fill not in ("rgb(0, 0, 0)", "#000")
        visit.page.screenshot(path=SHOTS / "intro-dark.png", full_page=True)
    finally:
        visit.close()


def test_search_works_offline(browser, server):
    visit = PageVisit(browser, server, "search.html?q=cosine")
    try:
        visit.page.locator("#search-results li").first.wait_for(timeout=15_000)
        assert visit.page.locator("#search-results li").count() >= 1
        assert not visit.blocked, visit.blocked
    finally:
        visit.close()


def test_offline_zip_opens_from_disk(browser, built_book, tmp_path):
    """`make zip`'s archive, unpacked anywhere, works from file:// with no server and no network."""
    import subprocess
    import zipfile

    subprocess.run(["make", "-s", "zip", f"BIN={Path(__import__('sys').executable).parent}"], cwd=ROOT, check=True)
    archive = ROOT / "_build" / "embeddings-in-llms-html.zip"
    zipfile.ZipFile(archive).extractall(tmp_path)
    base = (tmp_path / "html").as_uri()
    visit = PageVisit(browser, base, "intro.html")
    try:
        visit.charts().first.locator("svg").first.wait_for(timeout=15_000)
        assert not visit.blocked, visit.blocked
    finally:
        visit.close()

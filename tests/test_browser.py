"""The built book in a real browser: headless Chromium (Debian's), driven by Playwright, with every request
outside the local server blocked, so Vega and the widget manager must come from the build itself.

Every page: loads with no console errors and no blocked request; every Altair chart renders an SVG; a chart
with a control (drop-down or slider) changes when the control changes. A screenshot of each page is saved in
test-artifacts/screenshots/ (and, for a few pages, light and dark mode at 1,400 px).

No control looks live and does nothing: every visible control of every page is operated and must change what
the page shows; a live probe's cell shows its code, the note "Live in a notebook: …" and the probe's chart,
never a saved widget (test-artifacts/controls.json counts the controls of each page).

How the book reads, on every page at 1,400 px: no code block or output scrolls sideways (a DataFrame too wide
to fit may scroll inside its own box); in dark mode every text of an output (charts, tables, widgets, the
probes' HTML) has a contrast of at least 4.5:1 with what is behind it, in light and in dark mode; the sidebar lists each chapter's own
pages under it. Each of these checks lists every offending page and element.

EMBEDKIT_BROWSER_BOOK=<folder> runs the checks on another book's source folder and its ``_build/html`` (a small
throwaway book, when developing the checks) instead of this checkout's build.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import threading
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def book(request) -> tuple[Path, Path]:
    """(source folder, its built HTML): this checkout's build, or EMBEDKIT_BROWSER_BOOK's."""
    other = os.environ.get("EMBEDKIT_BROWSER_BOOK")
    if other:
        html = Path(other) / "_build" / "html"
        assert (html / "intro.html").is_file(), f"EMBEDKIT_BROWSER_BOOK={other} has no _build/html/intro.html"
        return Path(other), html
    return ROOT, request.getfixturevalue("built_book")


@pytest.fixture(scope="module")
def server(book):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(book[1]))
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

    def __init__(self, browser, server: str, path: str, color_scheme: str = "light", width: int = 1280):
        self.context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=color_scheme)
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


def toc_pages(source: Path = ROOT) -> list[str]:
    """Every page of ``source``'s _toc.yml, as paths without extension (``"intro"``, ``"chapters/words/index"``)."""
    return re.findall(r"(?:root|file):\s*(\S+)", (source / "_toc.yml").read_text())


def content_pages(html: Path, source: Path = ROOT) -> list[str]:
    pages = [f"{page}.html" for page in toc_pages(source)]
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
        visit.page.screenshot(path=SHOTS / "intro.png", full_page=True, timeout=120_000)
    finally:
        visit.close()


LIVE_NOTE = "Live in a notebook: run this cell in Binder or make lab to use the controls."
"""embedkit.probes.live.NOTE as the page shows it (the backticks become a code span)."""


def probe_pages(source: Path = ROOT) -> dict[str, int]:
    """Pages of _toc.yml whose code calls a live probe (``….widget(``), with the number of such cells."""
    import jupytext

    found = {}
    for page in toc_pages(source):
        cells = [c for c in jupytext.read(source / f"{page}.md").cells
                 if c.cell_type == "code" and ".widget(" in c.source and "remove-cell" not in c.metadata.get("tags", [])]
        if cells:
            found[f"{page}.html"] = len(cells)
    return found


def test_live_probe_cells_show_the_note_and_a_chart_not_dead_widgets(browser, server, book):
    """Each live probe's cell shows its code, the one-line note and the probe's chart; no page carries a saved
    widget (its controls would do nothing without a kernel), and no page has a Thebe button."""
    pages = probe_pages(book[0])
    assert "intro.html" in pages, pages
    problems = []
    for path in content_pages(book[1], book[0]):
        visit = PageVisit(browser, server, path)
        try:
            page = visit.page
            if page.locator(".jupyter-widgets, script[type='application/vnd.jupyter.widget-view+json']").count():
                problems.append(f"{path}: a saved ipywidget")
            if page.locator(".btn-launch-thebe, [onclick*='initThebe'], .thebe-launch-button").count():
                problems.append(f"{path}: a Thebe button")
            cells = page.locator("div.cell").filter(has_text=LIVE_NOTE)
            if cells.count() != pages.get(path, 0):
                problems.append(f"{path}: {cells.count()} cell(s) with the note, {pages.get(path, 0)} live probe cell(s)")
            for i in range(cells.count()):
                cell = cells.nth(i)
                if ".widget(" not in cell.locator("div.cell_input").inner_text():
                    problems.append(f"{path}: note {i + 1} is not below the probe's code")
                try:
                    cell.locator(".embedkit-chart svg").first.wait_for(timeout=15_000)
                except Exception:
                    problems.append(f"{path}: live probe cell {i + 1} shows no chart")
        finally:
            visit.close()
    assert not problems, "\n".join(problems)


CONTROLS_JS = r"""() => {
  // Every control on the page's article, copy buttons apart; each gets a data-control index to find it again.
  const root = document.querySelector('article.bd-article') || document.body;
  const sel = 'input, select, textarea, button, summary, [role=button], [contenteditable=true]';
  return [...root.querySelectorAll(sel)].filter(e => !e.closest('.copybtn')).map((e, i) => {
    e.dataset.control = i;
    const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    const cell = e.closest('div.cell'), cells = [...document.querySelectorAll('div.cell')];
    return {index: i, tag: e.tagName.toLowerCase(), type: e.type || '', visible: r.width > 0 && r.height > 0
            && s.visibility !== 'hidden' && s.display !== 'none',
            vega: !!e.closest('.vega-bindings'), widget: !!e.closest('.jupyter-widgets'),
            options: e.tagName === 'SELECT' ? [...e.options].map(o => o.value) : null,
            min: e.min ?? null, max: e.max ?? null,
            label: ((e.closest('label') || e).innerText || e.name || e.value || '').trim().slice(0, 40),
            where: cell ? `cell ${cells.indexOf(cell) + 1}` : 'prose'};
  });
}"""

SHOWN_JS = r"""() => {
  // What the page shows, minus the controls themselves (a slider that only moves its own knob and number
  // label changes nothing): the article's HTML without controls and Vega's binding labels, plus every canvas.
  const root = document.querySelector('article.bd-article') || document.body;
  const clone = root.cloneNode(true);
  clone.querySelectorAll('.vega-bindings, input, select, textarea, button, script').forEach(e => e.remove());
  const canvases = [...root.querySelectorAll('canvas')].map(c => { try { return c.toDataURL(); } catch (e) { return '?'; } });
  return clone.innerHTML + canvases.join('');
}"""


def _exercise(page, control: dict) -> str | None:
    """Operate one control the way a reader would; a reason when it cannot be operated at all."""
    el = page.locator(f"[data-control='{control['index']}']")
    tag, kind = control["tag"], control["type"]
    if tag == "select":
        current = el.input_value()
        others = [o for o in control["options"] if o != current]
        if not others:
            return f"a menu with {len(control['options'])} entry"
        el.select_option(others[-1])
    elif tag == "input" and kind == "range":
        if control["min"] == control["max"]:
            return f"a slider stuck at {control['min']}"
        el.evaluate("e => { e.value = (e.value == e.max ? e.min : e.max);"
                    " e.dispatchEvent(new Event('input', {bubbles: true}));"
                    " e.dispatchEvent(new Event('change', {bubbles: true})); }")
    elif tag == "input" and kind in ("checkbox", "radio"):
        el.click()
    elif tag == "textarea" or (tag == "input" and kind in ("text", "search", "number", "email", "url", "")):
        el.fill("2" if kind == "number" else "king")
        el.press("Enter")
    else:  # button, summary, role=button
        el.click()
    return None


def test_every_visible_control_changes_what_the_page_shows(browser, server, book):
    """On every page, every visible control of the article (inputs, menus, sliders, check boxes, buttons,
    toggles; the charts' Vega-Lite bindings included) is operated once and must change what the page shows
    (its HTML without the controls themselves, and its canvases). Copy buttons must copy: their tooltip
    turns to "Copied!". Counts per page go to test-artifacts/controls.json; a screenshot of each probe page
    to test-artifacts/screenshots/<page>-controls.png."""
    probes = probe_pages(book[0])
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems, counts = [], {}
    for path in content_pages(book[1], book[0]):
        visit = PageVisit(browser, server, path)
        try:
            page = visit.page
            _wait_for_outputs(visit)
            found = [c for c in page.evaluate(CONTROLS_JS) if c["visible"]]
            dead = []
            for control in found:
                page.locator(f"[data-control='{control['index']}']").scroll_into_view_if_needed()
                before = page.evaluate(SHOWN_JS)
                reason = _exercise(page, control)
                if reason is None:
                    page.wait_for_timeout(300)
                    if page.evaluate(SHOWN_JS) == before:
                        reason = "changed nothing"
                if reason:
                    what = "Vega-Lite binding" if control["vega"] else "widget" if control["widget"] else control["tag"]
                    dead.append(f"{path}: {control['where']}: {what} {control['type']} {control['label']!r}: {reason}")
            copy = page.locator("article.bd-article button.copybtn")
            uncopied = 0
            for i in range(copy.count()):
                button = copy.nth(i)
                if not button.is_visible():  # in a collapsed cell: not a control the reader sees
                    continue
                button.scroll_into_view_if_needed()
                button.hover()
                button.click()
                if button.get_attribute("data-tooltip") != "Copied!":
                    uncopied += 1
            if uncopied:
                dead.append(f"{path}: {uncopied} of {copy.count()} copy button(s) did not copy")
            counts[path] = {"controls": len(found), "copy buttons": copy.count(),
                            "Vega-Lite bindings": sum(c["vega"] for c in found), "dead": len(dead), "problems": dead}
            problems += dead
            if visit.errors:
                problems.append(f"{path}: console errors while operating the controls: {visit.errors[:3]}")
            if path in probes:
                page.screenshot(path=SHOTS / f"{path.replace('/', '__').removesuffix('.html')}-controls.png", full_page=True, timeout=120_000)
        finally:
            visit.close()
    out = ROOT / "test-artifacts" / "controls.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(counts, indent=1, ensure_ascii=False))
    total = sum(c["controls"] for c in counts.values())
    assert total > 0, "no control was found on any page"
    assert not problems, f"{len(problems)} control(s) that look live and do nothing:\n" + "\n".join(problems)


def test_every_page_loads_offline_and_its_charts_render(browser, server, book):
    pages = content_pages(book[1], book[0])
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
            visit.page.screenshot(path=SHOTS / f"{name}.png", full_page=True, timeout=120_000)
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
        visit.page.screenshot(path=SHOTS / "intro-dark.png", full_page=True, timeout=120_000)
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


# --- How the book reads ----------------------------------------------------------------------------------

READING_WIDTH = 1400
"""The window width at which the column must hold every code block and output."""

MIN_CONTRAST = 4.5
"""WCAG 2 AA for body text."""

_DESCRIBE_JS = r"""
const describe = (el) => {
  const parts = [];
  for (let e = el; e && e.tagName && parts.length < 4 && e.tagName !== 'ARTICLE'; e = e.parentElement) {
    const cls = [...(e.classList || [])].filter(c => !c.startsWith('highlight-')).slice(0, 3).join('.');
    parts.unshift(e.tagName.toLowerCase() + (cls ? '.' + cls : ''));
  }
  const cell = el.closest('div.cell');
  const cells = [...document.querySelectorAll('div.cell')];
  const where = cell ? `cell ${cells.indexOf(cell) + 1} of ${cells.length}` : 'prose';
  const text = ((el instanceof HTMLElement ? el.innerText : el.textContent) || '').replace(/\s+/g, ' ').trim().slice(0, 70);
  return `${where}: ${parts.join(' > ')} "${text}"`;
};
"""

OVERFLOW_JS = "() => {" + _DESCRIBE_JS + r"""
  // A box that scrolls (or clips) is what a reader sees scroll sideways; content that merely spills out of
  // a box shows up in the scrolling box, the article or the page around it.
  const root = document.querySelector('article.bd-article') || document.body;
  const boxes = [...root.querySelectorAll('pre, div.cell_output, div.cell_output *')]
    .filter(e => e instanceof HTMLElement && ['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX));
  const wideTables = [], problems = [], inputs = [];
  for (const e of boxes) {
    if (e.clientWidth === 0 || e.scrollWidth <= e.clientWidth + 1) continue;
    const msg = `${describe(e)} is ${e.scrollWidth}px wide in ${e.clientWidth}px`;
    // A table too wide for the column even with its cells wrapping may scroll inside its own output box.
    const table = e.querySelector('table');
    const wraps = table && [...table.querySelectorAll('th, td')].slice(0, 50)
      .every(c => getComputedStyle(c).whiteSpace !== 'nowrap');
    if (table && wraps && e.closest('div.cell_output') && getComputedStyle(e).overflowX !== 'hidden'
        && table.getBoundingClientRect().width > e.clientWidth) wideTables.push(msg);
    else if (!e.closest('div.cell_output')) inputs.push(msg);  // code (a cell or a package listing): shorten the line
    else problems.push(getComputedStyle(e).overflowX === 'hidden' ? msg + ' (cut off)' : msg);
  }
  if (root.scrollWidth > root.clientWidth + 1) problems.push(`the article is ${root.scrollWidth}px wide in ${root.clientWidth}px`);
  const page = document.scrollingElement;
  if (page.scrollWidth > page.clientWidth + 1) problems.push(`the page itself is ${page.scrollWidth}px wide`);
  return {problems, wideTables, inputs, checked: boxes.length};
}"""

CONTRAST_JS = "() => {" + _DESCRIBE_JS + r"""
  // Hit-testing finds what is painted behind a text; some SVG groups opt out of it.
  const style = document.createElement('style');
  style.textContent = '* { pointer-events: auto !important; }';
  document.head.appendChild(style);
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const rgba = (css) => {  // any CSS colour -> [r, g, b, a], via the canvas (handles every colour syntax)
    if (!css || css === 'none' || css.startsWith('url')) return [0, 0, 0, 0];
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = 'rgba(0, 0, 0, 0)';
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  };
  const opacity = (el) => {
    let o = 1;
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity);
    return o;
  };
  const over = (top, bottom) => {  // top (with alpha) composited over an opaque bottom
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const SHAPES = new Set(['rect', 'path', 'circle', 'ellipse', 'polygon', 'polyline', 'line']);
  const paint = (e) => {  // what an element paints behind the text above it
    const s = getComputedStyle(e);
    let c;
    if (e instanceof SVGElement && SHAPES.has(e.tagName.toLowerCase())) {
      c = rgba(s.fill); c[3] *= parseFloat(s.fillOpacity);
    } else {
      c = rgba(s.backgroundColor);
    }
    c[3] *= opacity(e);
    return c;
  };
  const pageBackground = () => {
    for (const e of [document.body, document.documentElement]) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) return over(c, [255, 255, 255]);
    }
    return [255, 255, 255, 1];
  };
  const SKIP = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'title', 'desc']);
  const texts = [];
  for (const out of document.querySelectorAll('div.cell_output')) {
    for (const el of out.querySelectorAll('*')) {
      if (SKIP.has(el.tagName) || el.closest('defs, script, style')) continue;
      if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
      texts.push(el);
    }
  }
  const problems = [];
  const base = pageBackground();
  let measured = 0;
  for (const el of texts) {
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.display === 'none') continue;
    el.scrollIntoView({block: 'center', inline: 'center'});
    let rect;
    if (el instanceof SVGElement) rect = el.getBoundingClientRect();
    else {
      const node = [...el.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
      const range = document.createRange();
      range.selectNodeContents(node);
      rect = range.getClientRects()[0] || el.getBoundingClientRect();
    }
    if (!rect || rect.width < 1 || rect.height < 1) continue;
    const x = rect.left + rect.width / 2, y = rect.top + rect.height / 2;
    const stack = document.elementsFromPoint(x, y);
    const at = stack.indexOf(el);
    const below = at >= 0 ? stack.slice(el instanceof SVGElement ? at + 1 : at)
                          : stack.filter(e => e !== el && e.contains(el));
    // Composite from the bottom up: the page, then each layer that paints something.
    const layers = below.map(paint).filter(c => c[3] > 0);
    let bg = base;
    for (const c of layers.reverse()) bg = over(c, bg);
    let fg = rgba(el instanceof SVGElement ? s.fill : s.color);
    if (el instanceof SVGElement) fg[3] *= parseFloat(s.fillOpacity);
    fg[3] *= opacity(el);
    if (fg[3] === 0 && el instanceof SVGElement) continue;  // unpainted text (a stroke-only label)
    fg = over(fg, bg);
    measured += 1;
    const r = ratio(fg, bg);
    if (r < %(min)s) {
      const hex = (c) => '#' + c.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, '0')).join('');
      problems.push(`${describe(el)}: contrast ${r.toFixed(2)} (text ${hex(fg)} on ${hex(bg)})`);
    }
  }
  style.remove();
  window.scrollTo(0, 0);
  return {problems, measured};
}""" % {"min": MIN_CONTRAST}

SIDEBAR_JS = r"""() => {
  const nav = document.querySelector('nav.bd-docs-nav');
  if (!nav) return null;
  const page = (a) => new URL(a.getAttribute('href'), location.href).pathname.replace(/^\/+/, '').replace(/\.html$/, '');
  const out = {};
  for (const li of nav.querySelectorAll('li.toctree-l1')) {
    const a = li.querySelector(':scope > a');
    if (!a) continue;
    out[page(a)] = {title: a.textContent.trim(), pages: [...li.querySelectorAll('li.toctree-l2 > a')].map(page)};
  }
  return out;
}"""


def _wait_for_outputs(visit: PageVisit) -> None:
    """Let charts and saved widgets draw before measuring (they are laid out by scripts)."""
    charts = visit.charts()
    for i in range(charts.count()):
        try:
            charts.nth(i).locator("svg, canvas").first.wait_for(timeout=15_000)
        except Exception:
            pass  # reported by test_every_page_loads_offline_and_its_charts_render
    if visit.page.locator("script[type='application/vnd.jupyter.widget-view+json']").count():
        try:
            visit.page.locator(".jupyter-widgets").first.wait_for(timeout=15_000)
        except Exception:
            pass
    visit.page.wait_for_timeout(300)


SCREENSHOT_PAGES = ("intro.html", "chapters/thread.html", "chapters/tokens/probes.html",
                    "chapters/positions/sinusoidal.html", "chapters/rotary/implementation.html",
                    "chapters/lab/index.html")
"""Pages kept as full-page screenshots at 1,400 px, light and dark, in test-artifacts/screenshots/."""


def _screenshot(visit: PageVisit, path: str, mode: str) -> None:
    if path in SCREENSHOT_PAGES:
        SHOTS.mkdir(parents=True, exist_ok=True)
        name = path.replace("/", "__").removesuffix(".html")
        visit.page.screenshot(path=SHOTS / f"{name}-{mode}-1400.png", full_page=True, timeout=120_000)


@pytest.fixture(scope="module")
def reading(browser, server, book) -> dict[str, dict]:
    """Every page measured at 1,400 px, once in light mode (overflow, sidebar, contrast) and once in dark mode
    (contrast): ``{page: {"overflow": …, "sidebar": …, "contrast": {"light": …, "dark": …}}}``. The numbers
    are also written to test-artifacts/reading.json."""
    results = {}
    for path in content_pages(book[1], book[0]):
        result = {}
        visit = PageVisit(browser, server, path, width=READING_WIDTH)
        try:
            visit.page.evaluate("document.documentElement.dataset.theme = 'light'")
            _wait_for_outputs(visit)
            result["overflow"] = visit.page.evaluate(OVERFLOW_JS)
            result["sidebar"] = visit.page.evaluate(SIDEBAR_JS)
            result["contrast"] = {"light": visit.page.evaluate(CONTRAST_JS)}
            _screenshot(visit, path, "light")
        finally:
            visit.close()
        visit = PageVisit(browser, server, path, color_scheme="dark", width=READING_WIDTH)
        try:
            visit.page.evaluate("document.documentElement.dataset.theme = 'dark'")
            _wait_for_outputs(visit)
            result["contrast"]["dark"] = visit.page.evaluate(CONTRAST_JS)
            _screenshot(visit, path, "dark")
        finally:
            visit.close()
        results[path] = result
    summary = {p: {"overflowing": len(r["overflow"]["problems"]), "wide tables": len(r["overflow"]["wideTables"]),
                   "code inputs too wide": len(r["overflow"]["inputs"]),
                   **{f"low contrast ({mode})": len(c["problems"]) for mode, c in r["contrast"].items()},
                   "texts measured": r["contrast"]["dark"]["measured"]}
               for p, r in results.items()}
    out = ROOT / "test-artifacts" / "reading.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "details": results}, indent=1, ensure_ascii=False))
    return results


def test_no_output_scrolls_sideways_at_1400px(reading):
    """Outputs wrap; a DataFrame wider than the column scrolls inside its own box, never the page. Code (cells
    and listings of package source) keeps its layout, so each line must fit: tests/test_code_width.py holds
    the sources to 88 characters, and this checks what the browser actually draws."""
    problems = [f"{page}: {p}" for page, r in reading.items()
                for p in r["overflow"]["problems"] + r["overflow"]["inputs"]]
    assert not problems, f"{len(problems)} block(s) scroll sideways at {READING_WIDTH}px:\n" + "\n".join(problems)


@pytest.mark.parametrize("mode", ["dark", "light"])
def test_output_text_has_contrast(reading, mode):
    """Every text of every output (charts' axes, legends, titles and labels, DataFrames, widgets, the probes'
    HTML, printed text) against what is painted behind it, in dark and in light mode."""
    assert sum(r["contrast"][mode]["measured"] for r in reading.values()) > 0, "no output text was measured"
    problems = [f"{page}: {p}" for page, r in reading.items() for p in r["contrast"][mode]["problems"]]
    assert not problems, f"{len(problems)} text(s) below {MIN_CONTRAST}:1 in {mode} mode:\n" + "\n".join(problems)


def test_sidebar_lists_each_chapters_own_pages_under_it(reading, book):
    """On every page, each chapter of _toc.yml lists exactly its own sections, in order, under its entry
    (the Rotary chapter's six pages under "Rotary", none under "A position lab")."""
    toc = yaml.safe_load((book[0] / "_toc.yml").read_text())
    expected = {c["file"]: [s["file"] for s in c.get("sections", [])] for part in toc["parts"] for c in part["chapters"]}
    problems: dict[str, list[str]] = {}  # problem -> pages it is seen on
    for page, r in reading.items():
        sidebar = r["sidebar"]
        if sidebar is None:
            problems.setdefault("no sidebar", []).append(page)
            continue
        for chapter, sections in expected.items():
            entry = sidebar.get(chapter)
            if entry is None:
                problem = f"chapter {chapter} is missing from the sidebar"
            elif entry["pages"] != sections:
                problem = (f"under {entry['title']!r} ({chapter}) the sidebar lists {entry['pages']}, "
                           f"expected {sections}")
            else:
                continue
            problems.setdefault(problem, []).append(page)
    assert not problems, "\n".join(
        f"{problem} (on {len(pages)} page(s): {', '.join(pages[:5])}{', …' if len(pages) > 5 else ''})"
        for problem, pages in problems.items()
    )

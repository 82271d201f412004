"""The static course site (tools/build_site.py, ``make site``): its staging rules, and the built site
in a real browser (Playwright in Debian's Chromium, the same set-up and the same skip / CI-failure
policy as tests/test_browser.py).

The browser test builds the site first (incremental: Sphinx re-reads only what changed), serves
``_build/site`` on 127.0.0.1 from a Python http.server thread on a free port, and checks what a
reader gets: every lesson and API page loads with no console error and no failed request, its math
is typeset by the locally served MathJax (no raw ``$$``, no MathJax error), every image has loaded;
no internal link or asset returns an error; nothing is loaded from another host; search finds
"saturation". A screenshot of lesson 01 goes to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import http.server
import importlib.util
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, free_port, require_browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
CONFIG = {"repository": {"url": "https://github.com/someone/course", "branch": "main"}}


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_site = load(ROOT / "tools" / "build_site.py")


# --- staging rules (no browser, no Sphinx) -------------------------------------------------------

def notebook(*cells):
    return {"cells": [dict(c, metadata={}) for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def md(text):
    return {"cell_type": "markdown", "source": text}


def code(text, outputs=()):
    return {"cell_type": "code", "source": text, "outputs": list(outputs), "execution_count": 1}


STREAM = {"output_type": "stream", "name": "stdout", "text": "42\n"}


def test_every_page_links_to_its_notebook_on_the_repository_and_to_binder():
    page = build_site.prepare_notebook(notebook(md("# 01 · Title"), code("1")), "notebooks/01_x.ipynb",
                                       set(), CONFIG)
    links = page["cells"][1]["source"]
    assert "(https://github.com/someone/course/blob/main/notebooks/01_x.ipynb)" in links
    assert "(https://mybinder.org/v2/gh/someone/course/main?urlpath=lab/tree/notebooks/01_x.ipynb)" in links


def test_a_repository_address_that_is_not_on_github_is_rejected():
    with pytest.raises(ValueError, match="repository.url must be a https://github.com/OWNER/NAME"):
        build_site.repository_links({"repository": {"url": "ftp://x", "branch": "main"}}, "a.ipynb")


def test_exercise_pages_carry_no_outputs_and_the_original_is_untouched():
    original = notebook(md("# Exercises 01: x"), code("print(42)", [STREAM]))
    page = build_site.prepare_notebook(original, "exercises/01_x.ipynb", set(), CONFIG)
    assert [c.get("outputs") for c in page["cells"] if c["cell_type"] == "code"] == [[]]
    assert original["cells"][1]["outputs"] == [STREAM]


def test_solution_pages_are_retitled_and_marked_as_solutions():
    on_site = {"exercises/01_x.ipynb", "solutions/01_x.ipynb"}
    page = build_site.prepare_notebook(notebook(md("# Exercises 01: x\n\ntext"), code("1")),
                                       "solutions/01_x.ipynb", on_site, CONFIG)
    assert page["cells"][0]["source"].startswith("# Solutions 01: x")
    assert "{admonition} Solutions: for instructors" in page["cells"][1]["source"]
    assert "(../exercises/01_x.ipynb)" in page["cells"][1]["source"]
    assert build_site.retitle_solution("# Chain rule") == "# Solutions: Chain rule"


def test_a_link_to_a_page_not_on_the_site_points_at_the_repository():
    text = "See [a](../exercises/01_x.ipynb), [b](../solutions/01_x.ipynb#top) and [c](https://x.org)."
    page = build_site.prepare_notebook(notebook(md("# T"), md(text)), "notebooks/01_x.ipynb",
                                       {"notebooks/01_x.ipynb", "exercises/01_x.ipynb"}, CONFIG)
    assert page["cells"][2]["source"] == (
        "See [a](../exercises/01_x.ipynb), "
        "[b](https://github.com/someone/course/blob/main/solutions/01_x.ipynb#top) and [c](https://x.org).")


def test_a_live_widget_cell_without_output_gets_a_note_on_running_it_live():
    page = build_site.prepare_notebook(notebook(md("# 11"), code("gradient_explorer()"), code("x = 1")),
                                       "notebooks/11_x.ipynb", set(), CONFIG)
    kinds = [c["cell_type"] for c in page["cells"]]
    assert kinds == ["markdown", "markdown", "code", "markdown", "code"]
    assert "**Live widget.**" in page["cells"][3]["source"]
    assert "mybinder.org/v2/gh/someone/course/main?urlpath=lab/tree/notebooks/11_x.ipynb" in \
        page["cells"][3]["source"]


def test_site_solutions_0_drops_the_solutions_part_of_the_table_of_contents():
    def globs(toc):
        return [c.get("glob") for part in toc["parts"] for c in part["chapters"]]
    assert "solutions/*" in globs(build_site.table_of_contents(True))
    assert "solutions/*" not in globs(build_site.table_of_contents(False))
    assert "notebooks/*" in globs(build_site.table_of_contents(False))


@pytest.mark.parametrize("value, expected", [("1", True), ("0", False)])
def test_site_solutions_setting(value, expected):
    assert build_site.solutions_enabled({"SITE_SOLUTIONS": value}) is expected
    assert build_site.solutions_enabled({}) is True


def test_site_solutions_rejects_anything_but_0_or_1():
    with pytest.raises(ValueError, match="SITE_SOLUTIONS must be 0 or 1, got 'no'"):
        build_site.solutions_enabled({"SITE_SOLUTIONS": "no"})


def test_site_repository_url_overrides_the_placeholder():
    config = build_site.site_config({"SITE_REPOSITORY_URL": "https://github.com/a/b/"})
    assert config["repository"]["url"] == "https://github.com/a/b"


def test_the_pipe_escaper_leaves_math_literals_and_doctests_alone():
    pipes = load(ROOT / "site" / "_ext" / "plain_pipes.py")
    lines = ["the norm |x| and ``a|b``", ".. math::", "", "   |x|_2", "after |y|", ">>> 1 | 2",
             ":math:`|z|`"]
    assert pipes.escape_pipes(lines) == [r"the norm \|x\| and ``a|b``", ".. math::", "", "   |x|_2",
                                         r"after \|y\|", ">>> 1 | 2", ":math:`|z|`"]


# --- the built site in a browser ------------------------------------------------------------------

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    """Build the site (with solutions) and serve it on 127.0.0.1; yields the base URL."""
    env = dict(os.environ, SITE_SOLUTIONS="1")
    env.pop("SITE_REPOSITORY_URL", None)
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "build_site.py")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()),
                                             partial(QuietHandler, directory=str(build_site.OUT)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class Links(HTMLParser):
    """Every URL a page refers to: links (a, link) and loaded resources (img, script, iframe)."""

    def __init__(self):
        super().__init__()
        self.links, self.resources = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("a", "link") and attrs.get("href"):
            (self.resources if attrs.get("rel") == "stylesheet" else self.links).append(attrs["href"])
        elif tag in ("img", "script", "iframe", "source") and attrs.get("src"):
            self.resources.append(attrs["src"])


def crawl(base: str):
    """Fetch every internal page and asset reachable from the start page. Returns (status of every
    internal URL, external resources that some page loads, pages fetched)."""
    status, external, queue, pages = {}, set(), [base], 0
    while queue:
        url = queue.pop()
        if url in status:
            continue
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                status[url], body, kind = response.status, response.read(), response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            status[url] = error.code
            continue
        if kind != "text/html":
            continue
        pages += 1
        parser = Links()
        parser.feed(body.decode("utf-8", errors="replace"))
        for ref in parser.links + parser.resources:
            target = urldefrag(urljoin(url, ref))[0].split("?")[0]
            if urlsplit(target).scheme not in ("http", "https"):
                continue
            if target.startswith(base):
                queue.append(target)
            elif ref in parser.resources:
                external.add(target)
    return status, external, pages


@pytest.mark.serial
def test_every_internal_link_and_asset_resolves_and_nothing_comes_from_another_host(site):
    status, external, pages = crawl(site)
    broken = {url: code for url, code in status.items() if code != 200}
    assert not broken, broken
    assert not external, f"the site loads resources from other hosts: {sorted(external)}"
    expected = len(LESSONS) + len(list((ROOT / "exercises").glob("*.ipynb")))
    assert pages >= expected, f"crawled only {pages} pages"
    for lesson in LESSONS:
        assert f"{site}notebooks/{lesson}.html" in status


MATH_TYPESET = """async () => {
    // Sphinx loads MathJax only on pages that contain math
    if (!window.MathJax || !MathJax.startup) return {mathjax: false,
        math: document.querySelectorAll("article .math").length,
        raw: (document.querySelector("article").innerText.match(/\\$\\$[^$]{0,60}|\\\\[(][^)]{0,60}/g) || [])};
    await MathJax.startup.promise;
    const math = [...document.querySelectorAll("article .math")];
    return {
        mathjax: true,
        math: math.length,
        typeset: document.querySelectorAll("article mjx-container").length,
        untypeset: math.filter(e => !e.querySelector("mjx-container")).map(e => e.textContent.slice(0, 80)),
        errors: [...document.querySelectorAll("mjx-merror")].map(e => e.textContent.slice(0, 80)),
        raw: (document.querySelector("article").innerText.match(/\\$\\$[^$]{0,60}/g) || []),
    };
}"""
IMAGES = """() => [...document.querySelectorAll("article img")]
    .map(img => ({src: img.getAttribute("src"), ok: img.complete && img.naturalWidth > 0}))"""


def watch(page, problems: list):
    """Record console errors, script errors, failed requests and error responses into problems."""
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: failed_request(r, problems))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))


def failed_request(request, problems: list) -> None:
    """A request that did not complete is a problem, except the favicon fetch that a navigation
    cancels: the browser asks for the icon on its own schedule and aborts it (net::ERR_ABORTED)
    when the test moves on to the next page. A favicon that is missing still fails, as a 404
    through the response handler."""
    failure = request.failure or ""
    if request.url.endswith("/favicon.svg") and "ERR_ABORTED" in failure:
        return
    problems.append(f"failed request: {request.url} ({failure})")


def check_page(page, url, problems: list):
    """Load one page; add the problems found to problems (which watch() also fills)."""
    from playwright.sync_api import Error

    page.goto(url, wait_until="load")
    try:
        math = page.evaluate(MATH_TYPESET)
    except Error as error:                       # report which page, with the rest of its problems
        problems.append(f"math check failed: {error.message.splitlines()[0]}")
        return {}
    if not math["mathjax"]:
        if math["math"]:
            problems.append("the page has math but MathJax is not loaded")
        problems += [f"raw math: {m}" for m in math["raw"]]
    else:
        if math["math"] and not math["typeset"]:
            problems.append("math present but nothing typeset")
        problems += [f"not typeset: {m}" for m in math["untypeset"]]
        problems += [f"MathJax error: {m}" for m in math["errors"]]
        problems += [f"raw $$: {m}" for m in math["raw"]]
    problems += [f"image not loaded: {i['src']}" for i in page.evaluate(IMAGES) if not i["ok"]]
    return math


def reader_pages():
    api = sorted(f"site/api/{m}.html" for m in build_site.public_modules())
    return ["site/intro.html", *[f"notebooks/{n}.html" for n in LESSONS], "site/api/index.html", *api]


@pytest.mark.serial
@pytest.mark.browser
def test_lessons_and_api_pages_load_cleanly_with_typeset_math_and_loaded_figures(site):
    require_browser()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    failures, typeset = {}, {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page, problems = browser.new_page(viewport={"width": 1300, "height": 900}), []
            watch(page, problems)
            for path in reader_pages():
                problems.clear()
                math = check_page(page, site + path, problems)
                if path.startswith("notebooks/"):
                    binder = page.locator("article a", has_text="Run on Binder").first.get_attribute("href")
                    source = page.locator("article a", has_text="Notebook on the repository").first
                    if not (binder or "").startswith("https://mybinder.org/v2/gh/") or \
                            not source.get_attribute("href").endswith(path.replace(".html", ".ipynb")):
                        problems.append("missing the repository or Binder link")
                if path == "notebooks/01_chain_rule_decay.html":
                    page.screenshot(path=str(ARTIFACTS / "site-01_chain_rule_decay.png"), full_page=False)
                if path == "notebooks/11_gradient_explorer.html":
                    if "Live widget." not in page.locator("article").inner_text():
                        problems.append("lesson 11 has no note on running the explorer live")
                    if page.locator("article img").count() < 1:
                        problems.append("lesson 11 shows no stored figure")
                typeset[path] = math.get("typeset", 0)
                if problems:
                    failures[path] = list(problems)
        finally:
            browser.close()
    assert not failures, failures
    assert typeset["notebooks/01_chain_rule_decay.html"] > 0
    assert any(n > 0 for p, n in typeset.items() if p.startswith("site/api/vanishing.")), \
        "no docstring formula was typeset in the API reference"


@pytest.mark.serial
@pytest.mark.browser
def test_search_finds_saturation_and_solutions_and_exercises_read_as_such(site):
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(site + "search.html?q=saturation")
            results = page.locator("#search-results ul.search li")
            expect(results.first).to_be_visible(timeout=20_000)
            hrefs = [a.get_attribute("href") for a in page.locator("#search-results ul.search li a").all()]
            assert any("notebooks/02_sigmoid_saturation" in h for h in hrefs), hrefs

            page.goto(site + "solutions/01_chain_rule_decay.html")
            expect(page.locator("article h1")).to_contain_text("Solutions 01")
            expect(page.locator("article .admonition.warning")).to_contain_text("instructors")
            page.goto(site + "exercises/01_chain_rule_decay.html")
            expect(page.locator("article h1")).to_contain_text("Exercises 01")
            expect(page.locator("article .cell_output")).to_have_count(0)
            assert re.search(r"raise NotImplementedError", page.locator("article").inner_text())
        finally:
            browser.close()

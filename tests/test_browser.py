"""Lesson 11's explorer in a real browser: JupyterLab driven by Playwright in Debian's Chromium.

What a learner does, checked end to end: open the notebook, Run All, see the
controls and the plot, move the depth slider with the keyboard, pick another
activation, and see the plot change (the ``src`` of the Image widget's PNG
widget). A screenshot goes to test-artifacts/ (gitignored).

Isolation: JupyterLab listens on 127.0.0.1 only, on a free port, with a random
token and private config, data, runtime, settings and workspace directories in
a temporary folder; it serves a *copy* of the notebook (the original is
checked to be byte-for-byte unchanged) and autosave is off. The server is
stopped by its PID at the end, also when the test fails.

Needs ``pip install playwright`` (the dev extra) and Chromium at
/usr/bin/chromium (``apt-get install chromium``); never ``playwright install``.
Without them the test is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import running_in_ci

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "11_gradient_explorer.ipynb"
LESSON_01 = ROOT / "notebooks" / "01_chain_rule_decay.ipynb"
EXERCISE_01 = ROOT / "exercises" / "01_chain_rule_decay.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
SETTINGS = {                                   # JupyterLab user settings for the private server
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}
GRADIENT = ".vanishing-gradient-explorer"
PLOT = f"{GRADIENT} img.vanishing-gradient-explorer-plot"
START_TIMEOUT = 60.0                   # seconds; a busy two-core machine needs more than 30

# Run alone, after the parallel run (see the Makefile): many kernel starts at once on two
# cores can make a kernel miss its start-up deadline.
pytestmark = pytest.mark.serial


def require_browser():
    """Skip (or, under CI=true, fail) when Playwright or Chromium is missing."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright (pip install -e '.[dev]')")
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if missing:
        reason = "the browser test needs " + " and ".join(missing)
        if running_in_ci():
            pytest.fail(f"{reason}; CI=true, so a missing browser is a failure, not a skip")
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_settings(settings_dir: Path):
    for plugin, values in SETTINGS.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def wait_until_ready(proc, url: str, log: Path):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")


def stop(proc):
    """Stop the server by its PID: SIGTERM (it shuts its kernels down); if it hangs, SIGKILL
    its process group (the server started in a session of its own, so the group is the server
    and the kernels it started, nothing else)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


@contextlib.contextmanager
def serve(tmp_path: Path, work: Path, config: Path | None = None):
    """A private JupyterLab serving ``work``; yields (base URL, token).

    ``config``: a JupyterLab configuration folder to copy in (the course's own, .jupyter/learner,
    for what `make lab` shows); by default an empty one.
    """
    private = {name: tmp_path / name for name in ("config", "data", "runtime", "settings",
                                                  "workspaces", "ipython")}
    for name, path in private.items():
        if name == "config" and config is not None:
            shutil.copytree(config, path, ignore=shutil.ignore_patterns("lab"))
        else:
            path.mkdir()
    write_settings(private["settings"])
    token, port = os.urandom(24).hex(), free_port()
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(private["config"]), JUPYTER_DATA_DIR=str(private["data"]),
               JUPYTER_RUNTIME_DIR=str(private["runtime"]),
               JUPYTERLAB_SETTINGS_DIR=str(private["settings"]),
               JUPYTERLAB_WORKSPACES_DIR=str(private["workspaces"]),
               IPYTHONDIR=str(private["ipython"]),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
               "--ServerApp.open_browser=False", "--LabApp.news_url=None",
               "--LabApp.extension_manager=readonly"]          # no calls to a package index
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = tmp_path / "jupyterlab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(proc, f"{base}/api/status?token={token}", log)
        yield base, token
    finally:
        stop(proc)
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(log, ARTIFACTS / f"browser-jupyterlab-{work.name}.log")


@pytest.fixture
def lab(tmp_path):
    """A private JupyterLab serving a copy of lesson 11; yields (base URL, token, copy's name)."""
    require_browser()
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy2(NOTEBOOK, work / NOTEBOOK.name)
    with serve(tmp_path, work) as (base, token):
        yield base, token, NOTEBOOK.name


@pytest.fixture
def course(tmp_path):
    """JupyterLab as `make lab` runs it: the repository's layout at the root (a copy of lesson 01
    in notebooks/ and of its exercise in exercises/) and the course's learner configuration."""
    require_browser()
    work = tmp_path / "course"
    for path in (LESSON_01, EXERCISE_01):
        (work / path.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, work / path.parent.name / path.name)
    with serve(tmp_path, work, config=ROOT / ".jupyter" / "learner") as (base, token):
        yield base, token


def test_a_missing_browser_skips_locally_but_fails_under_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs .*Chromium"):
        require_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true, so a missing browser is a failure"):
        require_browser()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.browser
def test_explorer_reacts_to_its_controls_in_jupyterlab(lab):
    from playwright.sync_api import expect, sync_playwright

    base, token, name = lab
    original = sha256(NOTEBOOK)
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "browser-11_gradient_explorer.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                     headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            try:
                run_lesson_and_interact(page, expect, f"{base}/lab/tree/{name}?reset&token={token}")
            finally:
                page.screenshot(path=str(screenshot), full_page=False)
        finally:
            browser.close()
    assert sha256(NOTEBOOK) == original, "the browser test modified the lesson on disk"


KERNEL_READY = """() => {
    // the toolbar's indicator says "idle" even before a kernel exists ("No Kernel | Initializing"):
    // wait for the status bar's kernel item to name a kernel that is idle
    const indicator = document.querySelector(".jp-Notebook-ExecutionIndicator");
    const items = [...document.querySelectorAll(".jp-StatusBar-TextItem")].map(e => e.textContent.trim());
    return indicator && indicator.dataset.status === "idle"
        && items.some(t => t.endsWith("| Idle") && !t.startsWith("No Kernel"));
}"""
ALL_CELLS_RAN = """() => {
    const prompts = [...document.querySelectorAll(".jp-CodeCell .jp-InputPrompt")].map(p => p.textContent);
    return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p));
}"""
WAIT = 20_000          # ms, for each step (the whole test takes about 10 s)


def run_lesson_and_interact(page, expect, url):
    page.set_default_timeout(WAIT)
    page.goto(url)
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
    page.wait_for_function(KERNEL_READY)

    # Run menu -> Run All Cells; then every code cell gets an execution count ([n], not [ ] or [*])
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
    page.wait_for_function(ALL_CELLS_RAN, timeout=3 * WAIT)   # Run All: slower on a busy machine
    page.wait_for_function(KERNEL_READY)
    expect(page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
           ).to_have_count(0)

    # the controls render, and the first picture
    plot = page.locator(PLOT)
    expect(plot).to_be_visible(timeout=WAIT)
    for control in ("depth", "width"):
        expect(page.locator(f"{GRADIENT} .vanishing-{control} .noUi-handle")).to_be_visible()
    for control in ("left", "right", "init"):
        expect(page.locator(f"{GRADIENT} .vanishing-{control} select")).to_be_visible()
    expect(page.locator(".vanishing-chain-explorer .vanishing-chain-table table")).to_be_visible()
    status = page.locator(f"{GRADIENT} .vanishing-gradient-explorer-status")
    expect(status).to_contain_text("sigmoid: layer 1", timeout=WAIT)

    # depth: keyboard on the slider handle, 20 -> 23
    src = plot.get_attribute("src")
    handle = page.locator(f"{GRADIENT} .vanishing-depth .noUi-handle")
    handle.click()
    for _ in range(3):
        handle.press("ArrowRight")
    expect(page.locator(f"{GRADIENT} .vanishing-depth .widget-readout")).to_have_text("23")
    expect(status).to_contain_text("layer 23", timeout=WAIT)
    expect(plot).not_to_have_attribute("src", src, timeout=WAIT)

    # left activation: sigmoid -> tanh
    src = plot.get_attribute("src")
    page.locator(f"{GRADIENT} .vanishing-left select").select_option("tanh")
    expect(status).to_contain_text("tanh: layer 1", timeout=WAIT)
    expect(plot).not_to_have_attribute("src", src, timeout=WAIT)


SCROLL_TO_LINK = """(text) => {
    // scroll the notebook to its end (cells far down may not be rendered yet), until the link exists
    const outer = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer");
    if (outer) outer.scrollTop = outer.scrollHeight;
    return [...document.querySelectorAll(".jp-MarkdownCell a")].some(a => a.textContent.includes(text));
}"""


@pytest.mark.browser
def test_a_lessons_exercise_link_opens_the_exercise_in_a_learners_jupyterlab(course):
    """`make lab` serves the repository root: the link ../exercises/01_... in lesson 01's last cell
    opens the exercise. The learner's JupyterLab shows no nbgrader menu or sidebar."""
    from playwright.sync_api import expect, sync_playwright

    base, token = course
    originals = {path: sha256(path) for path in (LESSON_01, EXERCISE_01)}
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                     headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(WAIT)
            try:
                page.goto(f"{base}/lab/tree/notebooks/{LESSON_01.name}?reset&token={token}")
                page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
                expect(page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader")).to_have_count(0)
                expect(page.locator(".lm-TabBar-tab", has_text="Create Assignment")).to_have_count(0)
                page.wait_for_function(SCROLL_TO_LINK, arg=f"exercises/{EXERCISE_01.name}")
                link = page.locator(".jp-MarkdownCell a", has_text=f"exercises/{EXERCISE_01.name}")
                expect(link.last).to_be_visible()
                link.last.click()
                expect(page).to_have_url(re.compile(rf"/lab/tree/exercises/{EXERCISE_01.name}"))
                expect(page.locator(".jp-NotebookPanel h1", has_text="Exercises 01")).to_be_visible()
            finally:
                page.screenshot(path=str(ARTIFACTS / "browser-exercise-link.png"), full_page=False)
        finally:
            browser.close()
    assert {path: sha256(path) for path in originals} == originals, "the test modified the course"

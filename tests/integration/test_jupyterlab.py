"""A learner's JupyterLab, driven in a real browser.

``mle lab`` (what ``make lab`` runs) starts JupyterLab on 127.0.0.1 with a token; headless
Chromium (Debian's, through Playwright) then does what a learner does with Lab 1: opens the
copy ``mle start`` made, runs every cell, presses nbgrader's Validate button and reads what the
page shows, on a solved copy and on an untouched one. Validate must agree with ``mle check``:
success and full marks for the solved copy, and for the untouched copy the very test cells that
``mle check`` fails. A third notebook runs ``%mle check 1`` in a cell. Every wait is on the
page's state (a dialog, a prompt number, an output), never on a sleep.

Screenshots are saved under build/test-artifacts/jupyterlab/. Chromium is a Debian package
(.ci/run installs it); without it the test is skipped, unless MLE_REQUIRE_BROWSER=1 (CI) makes
that a failure.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from autograder.notebooks import nbgrader_meta, read_notebook
from tests.conftest import REPO
from tests.support import solved

LAB, NOTEBOOK = "lab01-python-sql", "python_sql.ipynb"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO / "build" / "test-artifacts" / "jupyterlab"
WAIT_MS = 240_000  # a slow CI machine: the page state decides, this only bounds a hang

pytestmark = [pytest.mark.xdist_group("jupyterlab"), pytest.mark.browser]

if not CHROMIUM and os.environ.get("MLE_REQUIRE_BROWSER") != "1":
    pytest.skip("no chromium here (apt install chromium); CI sets MLE_REQUIRE_BROWSER=1",
                allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _smoke(nb):
    """The lab in smoke mode (Jan–Feb flights), as a learner would set it to iterate quickly."""
    [parameters] = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert "smoke = False" in parameters.source
    parameters.source = parameters.source.replace("smoke = False", "smoke = True")
    return nb


def _mle(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], env=env, text=True,
                          capture_output=True, timeout=600, cwd=REPO)


@pytest.fixture(scope="module")
def learner(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A learner's environment: their own work and state folders, Lab 1 started."""
    home = tmp_path_factory.mktemp("learner")
    env = dict(os.environ, MLE_WORK_DIR=str(home / "work"), MLE_STATE_DIR=str(home / "state"),
               JUPYTER_TOKEN=secrets.token_hex(16))
    started = _mle("start", "1", env=env)
    assert started.returncode == 0, started.stdout + started.stderr
    work = home / "work"
    mine = work / LAB / NOTEBOOK
    assert mine.is_file(), started.stdout
    # The untouched copy sits beside it; the learner's own copy gets the solution's answers.
    (work / "untouched").mkdir()
    nbformat.write(_smoke(read_notebook(mine)), work / "untouched" / NOTEBOOK)
    nbformat.write(_smoke(solved(REPO, LAB, NOTEBOOK)), mine)
    scratch = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%load_ext autograder"),
        nbformat.v4.new_code_cell("%mle check 1")], metadata={"kernelspec": {
            "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}})
    nbformat.write(scratch, work / "check.ipynb")
    return env


@pytest.fixture(scope="module")
def jupyterlab(learner: dict[str, str]):
    """`mle lab` on a free port, until the module's tests are done."""
    port = _free_port()
    log = ARTIFACTS / "jupyterlab.log"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "autograder", "lab", "--port", str(port), "--no-browser"],
            env=learner, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    token = learner["JUPYTER_TOKEN"]
    deadline = time.monotonic() + 120
    while True:  # the server's own readiness, polled: it answers /api/status when it is up
        assert server.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as reply:
                if reply.status == 200:
                    break
        except OSError:
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    yield base, token
    os.killpg(server.pid, 15)
    server.wait(timeout=60)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    args = ["--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium's own sandbox refuses to run as root (CI)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, jupyterlab):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    yield page
    context.close()


def _open(page, jupyterlab, path: str) -> None:
    base, token = jupyterlab
    page.goto(f"{base}/lab/tree/{path}?reset&token={token}")  # reset: only this notebook open
    _notebook(page).locator(".jp-Cell").first.wait_for()
    _wait_idle(page)


def _notebook(page):
    """The notebook on screen (the one whose tab is selected)."""
    return page.locator(".jp-NotebookPanel:visible")


def _wait_idle(page) -> None:
    """Until the status bar says the notebook's kernel has started and is idle."""
    page.locator("#jp-main-statusbar", has_text=re.compile(r"\|\s*Idle")).wait_for()


def _run_all(page) -> None:
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def _wait_for_prompt(page, count: int) -> None:
    """Until a cell shows execution number ``count`` (a fresh kernel numbers cells 1, 2, ...)."""
    # attached, not visible: JupyterLab renders only the cells near the viewport
    _notebook(page).locator(".jp-CodeCell .jp-InputPrompt", has_text=f"[{count}]:").wait_for(
        state="attached")


def _validate(page) -> str:
    """Press Validate; the text of the dialog nbgrader shows, with its result's class."""
    _notebook(page).locator(".validate-button").click()
    body = page.locator(".jp-Dialog .validation-success, .jp-Dialog .validation-failed, "
                        ".jp-Dialog .validation-error, .jp-Dialog .validation-changed")
    body.wait_for()
    return body.get_attribute("class") + "\n" + body.inner_text()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _code_cells(path: Path) -> int:
    return sum(c.cell_type == "code" for c in read_notebook(path).cells)


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_learner_view_hides_instructor_tools_and_news(page, jupyterlab, learner):
    _open(page, jupyterlab, f"{LAB}/{NOTEBOOK}")
    _shot(page, "01-opened")
    assert _notebook(page).locator(".validate-button").is_visible()
    menubar = page.locator("#jp-menu-panel, .lm-MenuBar").first.inner_text()
    assert "Nbgrader" not in menubar and "Formgrader" not in menubar
    assert page.locator(".jp-Notification-Toast").count() == 0  # no "Jupyter news?" pop-up
    base, token = jupyterlab
    for endpoint in ("formgrader", "create_assignment", "assignments", "courses"):
        request = urllib.request.Request(f"{base}/{endpoint}?token={token}")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 404, endpoint


def test_solved_copy_runs_and_validates(page, jupyterlab, learner):
    mine = Path(learner["MLE_WORK_DIR"]) / LAB / NOTEBOOK
    _open(page, jupyterlab, f"{LAB}/{NOTEBOOK}")
    _run_all(page)
    _wait_for_prompt(page, _code_cells(mine))
    _shot(page, "02-solved-ran")
    shown = _validate(page)
    _shot(page, "03-solved-validated")
    assert "validation-success" in shown, shown
    assert "Success! Your notebook passes all the tests." in shown


def test_untouched_copy_shows_the_failures_mle_check_finds(page, jupyterlab, learner):
    from autograder.self_check import check_lab
    from autograder.settings import Settings

    untouched = Path(learner["MLE_WORK_DIR"]) / "untouched" / NOTEBOOK
    _open(page, jupyterlab, f"untouched/{NOTEBOOK}")
    _run_all(page)
    # Run All stops at the first error: the first answer cell's NotImplementedError.
    _notebook(page).locator(".jp-OutputArea-output", has_text="NotImplementedError").first.wait_for()
    _wait_idle(page)
    _shot(page, "04-untouched-ran")
    shown = _validate(page)
    _shot(page, "05-untouched-validated")
    assert "validation-failed" in shown, shown
    failed_in_browser = shown.count("The following cell failed:")

    settings = Settings(root=REPO, work_dir=Path(learner["MLE_WORK_DIR"]),
                        state_dir=Path(learner["MLE_STATE_DIR"]))
    result = check_lab(lab="1", notebook=untouched, settings=settings)
    assert result.score == 0
    failing = {cell.grade_id for ex in result.exercises for cell in ex.cells
               if cell.status != "passed"}
    release = read_notebook(untouched)
    tests = {nbgrader_meta(c)["grade_id"]: c.source for c in release.cells
             if nbgrader_meta(c).get("grade") and c.cell_type == "code"}
    assert failing >= set(tests), "mle check fails every test cell of an untouched notebook"
    assert failed_in_browser == len(tests)
    page_text = _normal(shown)
    for grade_id, source in tests.items():  # the same cells, shown by their source
        first_line = _normal(source.strip().splitlines()[-1])
        assert first_line in page_text, grade_id


def test_mle_check_from_a_notebook_cell(page, jupyterlab, learner):
    _open(page, jupyterlab, "check.ipynb")
    _run_all(page)
    score = _notebook(page).locator(".jp-OutputArea-output", has_text=re.compile(r"Score: \d+/\d+"))
    score.wait_for()
    _shot(page, "06-mle-check-in-a-cell")
    text = score.inner_text()
    assert "ex01" in text, text  # the per-exercise table, as in a terminal
    [(got, out_of)] = re.findall(r"Score: (\d+)/(\d+)", text)
    assert got == out_of and int(out_of) > 0, text

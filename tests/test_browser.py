"""Real-browser test: JupyterLab in headless Chromium runs a notebook and the swipe slider moves.

Opt-in (``pytest --run-browser``, see the repository conftest; marker ``browser``); CI runs it. It
starts JupyterLab on a free localhost port with a random token and a temporary root holding copies of
the notebooks, opens the notebook in Debian's
``/usr/bin/chromium`` driven by Playwright's Python package (no browser download), runs all cells
from the Run menu, waits for the first :class:`upscalekit.widgets.SwipeCompare`, screenshots it,
moves its slider, screenshots again and checks that the rendered widget changed.

Screenshots (and the server log) go to ``$UPSCALEKIT_ARTIFACTS/browser/`` (default
``artifacts/browser/`` in the repository) so CI can keep them.

Environment
-----------
UPSCALEKIT_ARTIFACTS
    Artifacts root folder (default ``<repo>/artifacts``).
UPSCALEKIT_BROWSER_NOTEBOOK
    Notebook to open, relative to the repository (default ``notebooks/01_interpolation_vs_sr.ipynb``
    when it exists, else ``tests/data/swipe_smoke.ipynb``).
"""

from __future__ import annotations

import io
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-crash-reporter",  # no crashpad handler left running after the browser closes
    "--disable-breakpad",
]
SERVER_START_S = 120
NOTEBOOK_RUN_S = 900  # notebook 01 runs real models on 2 shared CPU cores
#: A pixel counts as changed when a channel moved by more than this (0–255).
PIXEL_DELTA = 24
#: Fraction of the widget's pixels that must change when the split line moves.
MIN_CHANGED = 0.01


def _artifacts() -> Path:
    root = Path(os.environ.get("UPSCALEKIT_ARTIFACTS", REPO / "artifacts"))
    out = root / "browser"
    out.mkdir(parents=True, exist_ok=True)
    return out


def _notebook() -> Path:
    chosen = os.environ.get("UPSCALEKIT_BROWSER_NOTEBOOK")
    if chosen:
        return REPO / chosen
    nb01 = REPO / "notebooks" / "01_interpolation_vs_sr.ipynb"
    return nb01 if nb01.exists() else REPO / "tests" / "data" / "swipe_smoke.ipynb"


def _log(msg: str) -> None:
    # Progress on stderr: a CI log shows where a slow or stuck browser run is.
    print(f"[browser {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    """All descendants of ``pid`` (kernels the server started), read from /proc."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                kids = [int(k) for k in task.read_text().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


def _stop(proc: subprocess.Popen[bytes]) -> None:
    kids = _children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    for k in kids:  # kernels outlive a killed server; end exactly the ones it started
        try:
            os.kill(k, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    pytest.fail(f"JupyterLab did not answer {url} within {SERVER_START_S} s:\n{log.read_text()[-3000:]}")


def _changed_fraction(png_a: bytes, png_b: bytes) -> float:
    from PIL import Image

    a = np.asarray(Image.open(io.BytesIO(png_a)).convert("RGB"), np.int16)
    b = np.asarray(Image.open(io.BytesIO(png_b)).convert("RGB"), np.int16)
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    diff = np.abs(a[:h, :w] - b[:h, :w]).max(axis=2)
    return float((diff > PIXEL_DELTA).mean())


def _write_settings(folder: Path) -> None:
    """JupyterLab user settings for this run only: every cell stays in the DOM, no news pop-up."""
    import json

    # JupyterLab 4 virtualises long notebooks (cells scrolled away leave the DOM); the test must
    # find the swipe widget and every prompt wherever the view is.
    files = {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
    }
    for rel, value in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value), encoding="utf-8")


def _run_all(page: Any, out: Path) -> None:
    """Run ▸ Run All Cells, retried until a code cell shows it started ([*] or an execution count)."""
    for attempt in range(1, 4):
        page.locator(".jp-NotebookPanel .jp-Cell").first.click()  # the notebook must be the current widget
        page.keyboard.press("Escape")  # command mode, so no editor keeps the focus
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).first.click()
        item = page.locator(".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel",
                            has_text=re.compile(r"^Run All Cells$")).first
        item.wait_for(state="visible", timeout=30_000)
        item.click()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
            if any(re.search(r"\[(\*|\d+)\]", p) for p in prompts):
                return
            page.wait_for_timeout(1000)
        page.screenshot(path=str(out / f"run_all_attempt{attempt}.png"))
        _log(f"Run All Cells did not start (attempt {attempt}); prompts {prompts}")
        page.keyboard.press("Escape")
    pytest.fail(f"Run ▸ Run All Cells never started the notebook; see {out}/run_all_attempt*.png")


def _wait_for_run(page: Any, out: Path) -> None:
    """Wait until every cell ran and a swipe widget shows; fail fast, with a screenshot, on an error."""
    deadline = time.monotonic() + NOTEBOOK_RUN_S
    while time.monotonic() < deadline:
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
                              ".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
        tracebacks = [t for t in errors.all_inner_texts() if "Error" in t or "Traceback" in t]
        if tracebacks:
            page.screenshot(path=str(out / "notebook_error.png"), full_page=True)
            pytest.fail("a notebook cell raised in JupyterLab:\n" + "\n".join(tracebacks)[-3000:])
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        busy = sum("[*]" in p for p in prompts)
        not_run = sum(not re.search(r"\[\d+\]", p) for p in prompts)  # every code cell got a count
        idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count()
        shown = page.locator(".upscalekit-swipe img").count()
        if shown and idle and not busy and not not_run:
            _log(f"{len(prompts)} code cells ran")
            return
        if int(time.monotonic()) % 20 < 2:
            _log(f"waiting: swipe widgets {shown}, kernel idle {idle}, cells queued/running {busy}, "
                 f"not run {not_run}")
        page.wait_for_timeout(2000)
    page.screenshot(path=str(out / "notebook_timeout.png"), full_page=True)
    pytest.fail(f"no swipe widget after {NOTEBOOK_RUN_S} s of running all cells; "
                f"see {out}/notebook_timeout.png")


def test_swipe_slider_changes_rendered_widget_in_jupyterlab(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install playwright (no `playwright install` needed)")

    notebook = _notebook()
    assert notebook.exists(), f"notebook to open not found: {notebook}"
    out = _artifacts()
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy2(notebook, root / notebook.name)
    if (REPO / "notebooks").is_dir():  # notebooks may read neighbours (data, helpers)
        for p in (REPO / "notebooks").iterdir():
            if p.name != notebook.name and not p.name.startswith("."):
                (shutil.copytree if p.is_dir() else shutil.copy2)(p, root / p.name)

    port, token = _free_port(), secrets.token_hex(24)
    env = dict(os.environ)
    # The kernel imports this checkout's upscalekit even when it is not pip-installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    env.setdefault("UPSCALEKIT_CACHE_DIR", str(REPO / ".cache"))
    log = out / "jupyterlab.log"
    settings = tmp_path / "user-settings"
    _write_settings(settings)
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0", f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=", "--LabApp.extension_manager=readonly", f"--LabApp.user_settings_dir={settings}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
        cmd.append("--allow-root")
    with log.open("wb") as log_fh:
        proc = subprocess.Popen(cmd, stdout=log_fh, stderr=subprocess.STDOUT, env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{base}/api/status?token={token}", proc, log)
        _log(f"JupyterLab up on port {port}; opening {notebook.name} in {CHROMIUM}")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(120_000)
                t0 = time.monotonic()
                url = f"{base}/lab/tree/{notebook.name}?reset&token={token}"
                page.goto(url, wait_until="domcontentloaded")
                page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=180_000)
                _log("notebook rendered; waiting for the kernel")
                page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=180_000)
                _run_all(page, out)
                _log("notebook open, kernel idle: Run ▸ Run All Cells")
                _wait_for_run(page, out)
                run_s = time.monotonic() - t0
                swipe = page.locator(".upscalekit-swipe").first
                image = swipe.locator("img").first
                swipe.scroll_into_view_if_needed()
                page.wait_for_timeout(1500)
                swipe.screenshot(path=str(out / "swipe_widget_before.png"))
                before = image.screenshot(path=str(out / "swipe_before.png"))
                page.screenshot(path=str(out / "notebook_before.png"))

                _log(f"all cells ran in {run_s:.0f} s; moving the slider")
                handle = swipe.locator(".noUi-handle").first
                handle.focus()
                page.keyboard.press("Home")  # noUiSlider keyboard support: split to the far left
                page.wait_for_timeout(1500)
                after = image.screenshot(path=str(out / "swipe_after.png"))
                changed = _changed_fraction(before, after)
                how = "keyboard Home"
                if changed < MIN_CHANGED:  # fall back to dragging the handle with the mouse
                    box = handle.bounding_box()
                    assert box is not None, "slider handle is not rendered"
                    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
                    page.mouse.move(cx, cy)
                    page.mouse.down()
                    page.mouse.move(cx - 300, cy, steps=15)
                    page.mouse.up()
                    page.wait_for_timeout(1500)
                    after = image.screenshot(path=str(out / "swipe_after.png"))
                    changed = _changed_fraction(before, after)
                    how = "mouse drag"
                swipe.screenshot(path=str(out / "swipe_widget_after.png"))
                page.screenshot(path=str(out / "notebook_after.png"))
                print(f"notebook {notebook.name}: ran in {run_s:.0f} s; slider moved by {how}; "
                      f"{changed:.1%} of the widget's pixels changed (> {PIXEL_DELTA}/255)")
                assert changed >= MIN_CHANGED, (
                    f"moving the swipe slider changed only {changed:.2%} of the widget's pixels "
                    f"(need {MIN_CHANGED:.0%}); see {out}/swipe_before.png and swipe_after.png"
                )
            finally:
                browser.close()
    finally:
        _stop(proc)

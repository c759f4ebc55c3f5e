"""Project-wide pytest setup: opt-in browser tests and a shared weights cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-browser",
        action="store_true",
        default=False,
        help="also run tests marked 'browser' (JupyterLab driven by headless Chromium)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Registry weights are fetched once per machine and reused by every test and notebook.
    os.environ.setdefault("UPSCALEKIT_CACHE_DIR", str(Path(__file__).parent / ".cache" / "upscalekit"))
    os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-browser"):
        return
    skip = pytest.mark.skip(reason="browser test: opt in with --run-browser")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


# Data notebooks used by tests (e.g. the browser test) are inputs, not notebooks to execute.
collect_ignore_glob = ["tests/data/*"]

"""Tests for upscalekit.models.memo: one memo for model runs, keyed by exact pixels, with real run times."""

from __future__ import annotations

import time

import numpy as np

from upscalekit.models import cached_run, load_model, memoize_runs
from upscalekit.resize import resize
from upscalekit.widgets import ScaleCompare


def _ramp(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([x / max(1, w - 1), y / max(1, h - 1), np.full_like(x, 0.5)], axis=2)


def test_cached_run_shares_results_by_pixels() -> None:
    calls = []

    def run(method: str, lr: np.ndarray, scale: int) -> np.ndarray:
        calls.append(method)
        return resize(lr, scale=scale, method=method)

    cached = cached_run(run)
    lr = _ramp(8, 8)
    first = cached("bicubic", lr, 2)
    assert cached("bicubic", lr.copy(), 2) is first and calls == ["bicubic"]
    other = lr.copy()
    other[0, 0, 0] = 0.5  # one pixel differs: a new run
    cached("bicubic", other, 2)
    cached("bicubic", lr, 3)
    cached("nearest", lr, 2)
    assert calls == ["bicubic", "bicubic", "bicubic", "nearest"] and len(cached.cache) == 4
    # A ScaleCompare rebuilding the same LR reuses the notebook's earlier result.
    gt = _ramp(32, 32)
    lr4 = resize(gt, size=(8, 8), method="bicubic")
    out = cached("lanczos", lr4, 4)
    sc = ScaleCompare(gt, ["lanczos"], cached, make_lr=lambda img, s: resize(img, size=(32 // s, 32 // s)))
    assert sc.results["lanczos"] is out and calls.count("lanczos") == 1


def test_memo_keys_models_settings_and_evicts_oldest() -> None:
    calls = []

    def run(up, lr, **kw):
        calls.append(kw)
        return up.upscale(lr, **kw)

    memo = memoize_runs(run, maxsize=2)
    a, b = load_model("bicubic", scale=2), load_model("bicubic", scale=2)
    lr = _ramp(4, 4)
    out = memo(a, lr, strength=1.0)
    assert memo(a, lr, strength=1.0) is out and not out.flags.writeable  # shared, so read-only
    memo(b, lr, strength=1.0)  # another model object: its own run
    memo(a, lr, strength=0.5)  # other settings: a run, and the oldest entry goes
    assert len(calls) == 3 and len(memo.cache) == 2
    memo(a, lr, strength=1.0)
    assert len(calls) == 4


def test_scale_compare_labels_show_the_models_run_time_not_the_lookup() -> None:
    def slow(method: str, lr: np.ndarray, scale: int) -> np.ndarray:
        time.sleep(0.05)
        return resize(lr, scale=scale, method=method)

    run = cached_run(slow)
    gt = _ramp(16, 16)
    run("bicubic", resize(gt, size=(4, 4)), 4)  # the notebook ran it first
    sc = ScaleCompare(gt, ["bicubic"], run, make_lr=lambda img, s: resize(img, size=(16 // s, 16 // s)))
    _, secs = sc.result("sample", "bicubic", 4)
    assert secs >= 0.05  # the recorded model time, though this call was a cache hit
    assert "model ran" in sc.caption()

"""Tests for upscalekit.models.strength: the one residual blend, checked against its formula."""

from __future__ import annotations

import numpy as np
import pytest

from upscalekit.models import apply_strength, blend_residual, load_model
from upscalekit.resize import resize


def test_blend_residual_endpoints_linearity_and_clip() -> None:
    rng = np.random.default_rng(1)
    base, model = rng.random((8, 8, 3), dtype=np.float32), rng.random((8, 8, 3), dtype=np.float32)
    np.testing.assert_allclose(blend_residual(base, model, 0.0), base)
    np.testing.assert_allclose(blend_residual(base, model, 1.0), model, atol=1e-6)
    half = blend_residual(base, model, 0.5)
    np.testing.assert_allclose(half, (base + model) / 2, atol=1e-6)
    over = blend_residual(base, model, 1.5)
    expect = np.clip(base + 1.5 * (model - base), 0, 1)
    np.testing.assert_allclose(over, expect, atol=1e-6)
    assert over.min() >= 0 and over.max() <= 1
    with pytest.raises(ValueError, match="finite"):
        blend_residual(base, model, float("nan"))


def test_apply_strength_is_the_upscalers_own_blend_inside_the_range() -> None:
    lr = np.random.default_rng(2).random((8, 8, 3), dtype=np.float32) * 0.5 + 0.25
    up = load_model("lanczos", scale=2)
    sr = up.upscale(lr)
    for a in (0.0, 0.5, 1.5):
        np.testing.assert_allclose(apply_strength(lr, sr, a), up.upscale(lr, strength=a), atol=1e-6)
    np.testing.assert_allclose(apply_strength(lr, sr, 0.0), resize(lr, scale=2), atol=1e-6)
    with pytest.raises(ValueError, match="same shape"):
        blend_residual(lr, sr, 0.5)

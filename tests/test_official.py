"""Tests for upscalekit.models.official: the official RealESRGANer on our converted weights.

Skipped unless the ``official`` extra is installed
(``pip install --no-deps realesrgan==0.3.0 basicsr==1.4.2``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from upscalekit.models import load_model, official
from upscalekit.pixels import Box

pytestmark = pytest.mark.skipif(
    not official.available(), reason=f"official extra not installed: {official.INSTALL}"
)


@pytest.fixture(scope="module")
def photo(skimage_photo) -> np.ndarray:
    return skimage_photo("astronaut", Box(100, 180, 148, 228))


def test_basicsr_imports_through_the_shim_without_touching_site_packages() -> None:
    import torchvision
    import torchvision.transforms.functional as tvf

    official.import_realesrgan()
    import basicsr  # noqa: F401

    shim = sys.modules["torchvision.transforms.functional_tensor"]
    assert shim.rgb_to_grayscale is tvf.rgb_to_grayscale
    assert not (Path(torchvision.__file__).parent / "transforms" / "functional_tensor.py").exists()


@pytest.mark.parametrize(("name", "size"), [("realesr-animevideov3-x4", 48), ("realesrgan-x4plus-anime", 20)])
def test_official_untiled_equals_ours(name: str, size: int, photo: np.ndarray) -> None:
    x = photo[:size, :size]
    theirs = official.load_official(name, device="cpu").upscale(x, tile=None)
    ours = load_model(name, device="cpu", precision="fp32").upscale(x, tile=None)
    err = float(np.abs(theirs - ours).max())
    print(f"{name}: max |official − ours| = {err:.2e} (official output is 16-bit: ≤ 7.6e-6 is rounding)")
    assert theirs.shape == ours.shape
    assert err <= 1e-5


def test_official_arm_keeps_the_upscaler_api(photo: np.ndarray) -> None:
    up = official.load_official("realesr-animevideov3-x4", device="cpu")
    assert up.name == "official:realesr-animevideov3-x4" and up.scale == 4 and up.precision == "fp32"
    assert "RealESRGANer" in up.provenance.detail
    x = photo[:12, :12]
    assert up.upscale(np.concatenate([x, np.ones((12, 12, 1), np.float32)], axis=2)).shape == (48, 48, 4)
    assert up.upscale(x, outscale=2).shape == (24, 24, 3)
    with pytest.raises(ValueError, match="interpolation"):
        official.load_official("bicubic")

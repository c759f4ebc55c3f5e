"""Shared fixtures: the real photos scikit-image bundles, loaded once per session.

Tests take ``skimage_photo`` and cut what they need, e.g.
``skimage_photo("astronaut", Box(60, 140, 188, 268))``, instead of each module keeping its own
loader; module-level helpers call the same :func:`_photos.load_photo`. Pixels are converted
exactly as the kit reads a uint8 file (:func:`upscalekit.io.to_float`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from _photos import load_photo

PhotoFn = Callable[..., np.ndarray]


@pytest.fixture(scope="session")
def skimage_photo() -> PhotoFn:
    """``skimage_photo(name="astronaut", box=None, *, rgb=False)`` → a fresh float32 copy of that photo."""
    return load_photo

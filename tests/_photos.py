"""The one loader of scikit-image's bundled photos for the tests (the ``skimage_photo`` fixture's body)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from upscalekit.pixels import Box


@lru_cache(maxsize=16)
def _original(name: str) -> np.ndarray:
    import skimage.data

    from upscalekit.io import to_float

    img = to_float(np.asarray(getattr(skimage.data, name)()))
    img.flags.writeable = False  # shared between tests
    return img


def load_photo(name: str = "astronaut", box: Box | None = None, *, rgb: bool = False) -> np.ndarray:
    """A scikit-image photo as float32 in [0, 1], optionally cut to ``box``; gray stays H×W unless ``rgb``."""
    img = _original(name)
    if box is not None:
        img = img[Box(*box).slices]
        if img.shape[:2] != (Box(*box).height, Box(*box).width):
            raise ValueError(f"box {box} leaves the {name} photo ({_original(name).shape})")
    if rgb and img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.array(img)  # a writable copy: tests may change it

"""Input checks shared by every public function.

Public images are NumPy arrays, HWC float32 RGB in [0, 1] (``H×W`` or
``H×W×1`` for grayscale, ``H×W×4`` with alpha). These helpers turn a wrong
input into an error that says what was seen and what to do, instead of a
silent garbage result further down.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import numpy as np

__all__ = ["check_finite_output", "check_image", "check_pair", "unknown_name"]


def check_image(image: object, name: str = "image", *, allow_gray: bool = True) -> np.ndarray:
    """Validate a public image and return it as a float32 array (no copy if already float32).

    Parameters
    ----------
    image
        Candidate image, HWC float RGB in [0, 1] (HW or HW1 for grayscale, HW4 with alpha).
    name
        Name used in error messages, e.g. ``"reference"``.
    allow_gray
        Accept 2-D arrays and single-channel images.

    Raises
    ------
    ValueError
        If the array is not an image, is an integer array, holds NaN/inf or leaves [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> check_image(np.zeros((4, 4, 3), np.float32)).shape
    (4, 4, 3)
    """
    if not isinstance(image, np.ndarray):
        raise ValueError(
            f"{name}: expected a NumPy array (HWC float32 RGB in [0, 1]), got {type(image).__name__}; "
            "read files with upscalekit.io.read_image"
        )
    if image.ndim == 2 and allow_gray:
        pass
    elif image.ndim != 3 or image.shape[2] not in ((1, 3, 4) if allow_gray else (3, 4)):
        raise ValueError(
            f"{name}: expected an H×W×3 RGB image (or H×W×4 with alpha"
            f"{', H×W grayscale' if allow_gray else ''}), got shape {image.shape}; "
            "for a CHW tensor use upscalekit.io.from_tensor"
        )
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"{name}: image is empty, shape {image.shape}")
    if image.dtype.kind in "ui":
        raise ValueError(
            f"{name}: expected float values in [0, 1], got integer dtype {image.dtype} "
            f"(max {image.max()}); convert with upscalekit.io.to_float (uint8 → /255)"
        )
    if image.dtype.kind == "b":
        raise ValueError(f"{name}: expected float values in [0, 1], got a boolean array")
    image = image.astype(np.float32, copy=False)
    if not np.isfinite(image).all():
        bad = int((~np.isfinite(image)).sum())
        raise ValueError(f"{name}: contains {bad} NaN/inf values; clean or mask them first")
    lo, hi = float(image.min()), float(image.max())
    if lo < -1e-6 or hi > 1 + 1e-6:
        raise ValueError(
            f"{name}: expected values in [0, 1], got min {lo:.4g} max {hi:.4g}; "
            + ("it looks like 0–255 data: divide by 255" if hi > 1.5 else "clip with np.clip(x, 0, 1)")
        )
    return image


def check_pair(a: object, b: object, names: tuple[str, str] = ("image0", "image1")) -> tuple[
    np.ndarray, np.ndarray
]:
    """Validate two images that must share a shape (full-reference metrics).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((4, 4, 3), np.float32)
    >>> check_pair(x, x)[0].shape
    (4, 4, 3)
    """
    a = check_image(a, names[0])
    b = check_image(b, names[1])
    if a.shape != b.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, got {a.shape} and {b.shape}; "
            "resize or crop one of them (upscalekit.resize.resize) first"
        )
    return a, b


def unknown_name(kind: str, name: str, known: Iterable[str]) -> KeyError:
    """Build a ``KeyError`` for an unknown name that lists close matches.

    Examples
    --------
    >>> print(unknown_name("model", "bicubc", ["bicubic", "bilinear"]).args[0])
    unknown model 'bicubc'; did you mean 'bicubic'? Known: bicubic, bilinear
    """
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return KeyError(f"unknown {kind} {name!r}{hint} Known: {', '.join(known)}")


def check_finite_output(result: np.ndarray, who: str) -> None:
    """Refuse to hand back a result with NaN/inf: ``np.clip`` keeps NaN, so it would pass silently.

    Raises
    ------
    FloatingPointError
        Says how many values are bad and what usually causes it.

    Examples
    --------
    >>> import numpy as np
    >>> check_finite_output(np.zeros((2, 2, 3), np.float32), "bicubic")
    """
    finite = np.isfinite(result)
    if not finite.all():
        bad = int(result.size - np.count_nonzero(finite))
        raise FloatingPointError(
            f"{who} produced {bad} NaN/inf value(s) of {result.size}; the weights may be damaged, or a "
            "half-precision run overflowed: try precision='fp32', or reload the model"
        )

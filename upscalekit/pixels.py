"""Pixel-level helpers every layer shares: one box type, gray/RGBA → RGB, BT.601 luma.

Foundation layer: NumPy only, no presentation or model code. A widget, a detector and a face
measure that need "the luma" or "this rectangle" all take it from here, so the same word means
the same pixels everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

__all__ = ["BT601", "Box", "as_rgb", "center_crop", "luma"]

#: BT.601 luma weights (R, G, B), the convention of JPEG, OpenCV's ``RGB2GRAY`` and MATLAB's ``rgb2gray``.
BT601 = (0.299, 0.587, 0.114)


class Box(NamedTuple):
    """A pixel rectangle ``(top, left, bottom, right)``, bottom/right exclusive — the kit's one box type.

    A plain tuple underneath, so ``image[box.slices]`` crops and ``Box(*t)`` converts.

    Examples
    --------
    >>> import numpy as np
    >>> b = Box(1, 2, 3, 5)
    >>> b.height, b.width, np.zeros((4, 6))[b.slices].shape
    (2, 3, (2, 3))
    >>> Box.from_fractions((100, 200), x=0.5, y=0.5, size=0.5)
    Box(top=25, left=75, bottom=75, right=125)
    """

    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def slices(self) -> tuple[slice, slice]:
        """``(rows, cols)`` slices: ``image[box.slices]`` is the crop."""
        return slice(self.top, self.bottom), slice(self.left, self.right)

    @classmethod
    def from_fractions(cls, shape: Sequence[int], *, x: float, y: float, size: float) -> Box:
        """Square box centred at fractions ``(x, y)`` of an image, side ``size`` × its shorter side.

        Near a border the box slides inward instead of shrinking, so every image cut with the same
        fractions shows the same number of pixels.
        """
        if not (0.0 <= float(x) <= 1.0 and 0.0 <= float(y) <= 1.0):
            raise ValueError(f"x and y are the region centre as fractions in [0, 1], got x={x!r}, y={y!r}")
        if not 0.0 < float(size) <= 1.0:
            raise ValueError(f"size is the region side as a fraction of the shorter side in (0, 1], "
                             f"got {size!r}")
        h, w = int(shape[0]), int(shape[1])
        side = int(min(max(1, round(size * min(h, w))), min(h, w)))
        x0 = int(min(max(0, round(x * w - side / 2)), w - side))
        y0 = int(min(max(0, round(y * h - side / 2)), h - side))
        return cls(y0, x0, y0 + side, x0 + side)

    def scaled(self, src: Sequence[int], dst: Sequence[int]) -> Box:
        """The same region in another size of the image (``src`` → ``dst`` shapes), at least one pixel."""
        sy, sx = dst[0] / src[0], dst[1] / src[1]
        t = min(int(self.top * sy), int(dst[0]) - 1)
        lft = min(int(self.left * sx), int(dst[1]) - 1)
        return Box(t, lft, int(min(dst[0], max(t + 1, round(self.bottom * sy)))),
                   int(min(dst[1], max(lft + 1, round(self.right * sx)))))


def as_rgb(image: np.ndarray) -> np.ndarray:
    """Gray (H×W or H×W×1) → H×W×3 by repetition; RGBA → RGB by dropping alpha; RGB unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> as_rgb(np.zeros((2, 3))).shape, as_rgb(np.zeros((2, 3, 4))).shape
    ((2, 3, 3), (2, 3, 3))
    """
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3:
        raise ValueError(f"expected an H×W or H×W×C image, got shape {image.shape}")
    if image.shape[2] == 1:
        return np.repeat(image, 3, axis=2)
    return image[..., :3]


def luma(image: np.ndarray) -> np.ndarray:
    """BT.601 luma ``0.299 R + 0.587 G + 0.114 B`` of an RGB(A) image; a gray image as itself. Float32 H×W.

    Examples
    --------
    >>> import numpy as np
    >>> float(luma(np.ones((2, 2, 3), np.float32))[0, 0])
    1.0
    >>> round(float(luma(np.array([[[1.0, 0.0, 0.0]]], np.float32))[0, 0]), 3)
    0.299
    """
    if image.ndim == 2:
        return image.astype(np.float32, copy=False)
    if image.shape[2] == 1:
        return image[..., 0].astype(np.float32, copy=False)
    rgb = image[..., :3].astype(np.float32, copy=False)
    return (BT601[0] * rgb[..., 0] + BT601[1] * rgb[..., 1] + BT601[2] * rgb[..., 2]).astype(np.float32)


def center_crop(
    image: np.ndarray, size: int, *, multiple_of: int = 1, square: bool = True, align: int = 1
) -> np.ndarray:
    """The central crop of at most ``size`` pixels a side, each side a multiple of ``multiple_of``.

    Parameters
    ----------
    image
        H×W or H×W×C array.
    size
        Largest side of the crop.
    multiple_of
        Each side is a multiple of this (the scale, so an LR divides exactly; 8 for a JPEG block grid).
        A side shorter than ``multiple_of`` is kept whole.
    square
        ``True``: one side ``min(size, H, W)`` for both; ``False``: height and width each capped at ``size``.
    align
        The crop's top-left corner is moved up/left onto a multiple of ``align`` (8 keeps a JPEG's
        block grid at the crop's corner; the scale keeps LR and HR pixels aligned).

    Examples
    --------
    >>> import numpy as np
    >>> center_crop(np.zeros((300, 250, 3), np.float32), 256, multiple_of=4).shape
    (248, 248, 3)
    >>> center_crop(np.zeros((100, 50, 3), np.float32), 64, multiple_of=8, square=False, align=8).shape
    (64, 48, 3)
    """
    m, a = int(multiple_of), int(align)
    if m < 1 or a < 1 or int(size) < 1:
        raise ValueError(f"size, multiple_of and align must be >= 1, got {size!r}, {multiple_of!r}, "
                         f"{align!r}")
    h, w = image.shape[:2]
    if square:
        side = min(int(size), h, w) // m * m
        if side < 1:
            raise ValueError(f"image {image.shape} is too small for a crop that is a multiple of {m}")
        ch = cw = side
    else:
        ch = max(m, min(h, int(size)) // m * m) if h >= m else h
        cw = max(m, min(w, int(size)) // m * m) if w >= m else w
    y, x = (h - ch) // 2 // a * a, (w - cw) // 2 // a * a
    return np.ascontiguousarray(image[y:y + ch, x:x + cw])

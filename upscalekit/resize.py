"""Resampling of public images by classic interpolation (no learning).

One implementation serves the interpolation "upscalers", the degradation
lab's downscaling and every metric that needs an image at another size, so
that "bicubic" means the same kernel everywhere in the kit: Pillow's
antialiased kernels (bicubic a = -0.5, as in MATLAB's ``imresize``), applied
per channel in float32 so nothing is quantised to uint8 on the way.
"""

from __future__ import annotations

import numpy as np

from upscalekit._checks import check_image, unknown_name

__all__ = ["METHODS", "resize"]

#: Interpolation methods understood by :func:`resize`.
METHODS: tuple[str, ...] = ("nearest", "bilinear", "bicubic", "lanczos", "area")


def _pil_filter(method: str) -> int:
    from PIL import Image

    table = {
        "nearest": Image.Resampling.NEAREST,
        "bilinear": Image.Resampling.BILINEAR,
        "bicubic": Image.Resampling.BICUBIC,
        "lanczos": Image.Resampling.LANCZOS,
        "area": Image.Resampling.BOX,
    }
    if method not in table:
        raise unknown_name("interpolation method", method, table)
    return table[method]


def resize(
    image: np.ndarray,
    *,
    scale: float | None = None,
    size: tuple[int, int] | None = None,
    method: str = "bicubic",
    clip: bool = True,
) -> np.ndarray:
    """Resize an image by a factor or to an exact ``(height, width)``.

    Parameters
    ----------
    image
        HWC float32 image in [0, 1] (any channel count, or H×W).
    scale
        Factor applied to both sides (``0.25`` downscales 4×); the output side is
        ``round(side * scale)``. Give exactly one of ``scale`` and ``size``.
    size
        Output ``(height, width)``.
    method
        One of :data:`METHODS`. ``"area"`` is a box filter (average of covered pixels).
    clip
        Clip to [0, 1]; bicubic and lanczos overshoot near edges (that overshoot
        is the classic interpolation halo, keep it with ``clip=False``).

    Returns
    -------
    numpy.ndarray
        float32 image with the same channel layout.

    Examples
    --------
    >>> import numpy as np
    >>> resize(np.zeros((8, 6, 3), np.float32), scale=0.5).shape
    (4, 3, 3)
    """
    from PIL import Image

    image = check_image(image)
    if (scale is None) == (size is None):
        raise ValueError(f"give exactly one of scale= and size=, got scale={scale!r} size={size!r}")
    h, w = image.shape[:2]
    if size is None:
        if not scale or scale <= 0:
            raise ValueError(f"scale must be a positive number, got {scale!r}")
        size = (max(1, round(h * scale)), max(1, round(w * scale)))
    oh, ow = int(size[0]), int(size[1])
    if oh < 1 or ow < 1:
        raise ValueError(f"size must be positive (height, width), got {size!r}")
    flt = _pil_filter(method)
    if (oh, ow) == (h, w):
        return image.copy()
    planes = image[..., None] if image.ndim == 2 else image
    out = np.empty((oh, ow, planes.shape[2]), np.float32)
    for c in range(planes.shape[2]):
        pil = Image.fromarray(np.ascontiguousarray(planes[..., c]), mode="F")
        out[..., c] = np.asarray(pil.resize((ow, oh), resample=flt), dtype=np.float32)
    if clip:
        np.clip(out, 0.0, 1.0, out=out)
    return out[..., 0] if image.ndim == 2 else out

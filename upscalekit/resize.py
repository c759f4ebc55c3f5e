"""Resampling of public images by classic interpolation (no learning).

One implementation serves the interpolation "upscalers", the degradation
lab's downscaling and every metric that needs an image at another size, so
that "bicubic" means the same kernel everywhere in the kit: Pillow's
antialiased kernels (bicubic a = -0.5, as in MATLAB's ``imresize``), applied
per channel in float32 so nothing is quantised to uint8 on the way.

``convention="matlab"`` (bicubic only) reproduces MATLAB's ``imresize`` instead, the function
super-resolution benchmarks use to make LR inputs and the "bicubic" baseline: the same kernel,
but image borders padded by mirroring (symmetric padding) where Pillow drops the taps that fall
outside and renormalises. Inside the image the two agree to about 1e-4/255; in the outer two LR
pixels Pillow differs by up to ~15/255 on real photos, enough to move a published PSNR in the
second decimal. :func:`imresize_matlab` is that computation, with ``uint8=True`` for MATLAB's
behaviour on uint8 images (each 1-D pass rounded to integers).
"""

from __future__ import annotations

import numpy as np

from upscalekit._checks import check_image, unknown_name

__all__ = ["CONVENTIONS", "METHODS", "imresize_matlab", "resize"]

#: Interpolation methods understood by :func:`resize`.
METHODS: tuple[str, ...] = ("nearest", "bilinear", "bicubic", "lanczos", "area")
#: Border conventions understood by :func:`resize`.
CONVENTIONS: tuple[str, ...] = ("pillow", "matlab")


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


def _check_scale_or_size(scale: float | None, size: tuple[int, int] | None) -> None:
    """Exactly one of ``scale`` (a positive factor) and ``size`` (positive height, width)."""
    if (scale is None) == (size is None):
        raise ValueError(f"give exactly one of scale= and size=, got scale={scale!r} size={size!r}")
    if size is None and (not scale or scale <= 0):
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    if size is not None and (int(size[0]) < 1 or int(size[1]) < 1):
        raise ValueError(f"size must be positive (height, width), got {size!r}")


def resize(
    image: np.ndarray,
    *,
    scale: float | None = None,
    size: tuple[int, int] | None = None,
    method: str = "bicubic",
    clip: bool = True,
    convention: str = "pillow",
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
    convention
        ``"pillow"`` (default): Pillow's kernels, taps outside the image dropped and the rest
        renormalised. ``"matlab"``: MATLAB ``imresize`` (bicubic only), borders padded
        symmetrically; use it to reproduce published "bicubic ×s" numbers (see
        :func:`imresize_matlab`, which also emulates MATLAB on uint8 data).

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
    _check_scale_or_size(scale, size)
    h, w = image.shape[:2]
    if size is None:
        size = (max(1, round(h * scale)), max(1, round(w * scale)))
    oh, ow = int(size[0]), int(size[1])
    if convention not in CONVENTIONS:
        raise unknown_name("resize convention", convention, CONVENTIONS)
    if convention == "matlab":
        if method != "bicubic":
            raise ValueError(
                f"convention='matlab' implements MATLAB's bicubic imresize only, got method={method!r}; "
                "use method='bicubic' or convention='pillow'"
            )
        out = imresize_matlab(image, scale=scale, size=None if scale else (oh, ow))
        return np.clip(out, 0.0, 1.0, out=out) if clip else out
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


def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's ``cubic``), support [-2, 2]."""
    ax = np.abs(x)
    ax2, ax3 = ax**2, ax**3
    inner = (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1)
    return inner + (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2))


def _matlab_weights(n_in: int, n_out: int, scale: float) -> np.ndarray:
    """Dense (n_out, n_in) matrix of MATLAB ``imresize``'s bicubic contributions along one axis."""
    width = 4.0
    antialias = scale < 1
    if antialias:  # shrinking: stretch the kernel by 1/scale (a low-pass filter), keep unit area
        width /= scale
    x = np.arange(1, n_out + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)  # output pixel centre in input coordinates (1-based)
    left = np.floor(u - width / 2)
    taps = int(np.ceil(width)) + 2
    idx = left[:, None] + np.arange(taps)[None, :]  # (n_out, taps), 1-based, may leave [1, n_in]
    d = u[:, None] - idx
    w = scale * _cubic(scale * d) if antialias else _cubic(d)
    w /= w.sum(axis=1, keepdims=True)
    # Symmetric padding: the sequence 1..n, n..1 repeats (MATLAB's aux = [1:n, n:-1:1]).
    aux = np.concatenate([np.arange(n_in), np.arange(n_in)[::-1]])
    cols = aux[np.mod(idx.astype(np.int64) - 1, aux.size)]
    mat = np.zeros((n_out, n_in))
    np.add.at(mat, (np.repeat(np.arange(n_out), taps), cols.ravel()), w.ravel())
    return mat


def imresize_matlab(
    image: np.ndarray,
    *,
    scale: float | None = None,
    size: tuple[int, int] | None = None,
    uint8: bool = False,
) -> np.ndarray:
    """MATLAB's ``imresize(image, scale, 'bicubic')``: the benchmarks' LR images and bicubic baseline.

    MATLAB's definition, written out: the cubic kernel with a = -0.5; when shrinking by
    ``scale < 1`` the kernel is stretched to width ``4 / scale`` and scaled by ``scale``
    (antialiasing); output pixel ``x`` (1-based) samples the input at
    ``u = x / scale + 0.5 (1 - 1 / scale)``; the weights of each output pixel are normalised to sum
    to 1; taps outside the image read the mirrored image (symmetric padding, edge pixel repeated).
    Rows and columns are resized one after the other, the dimension that shrinks most first (for
    equal factors, rows first), as MATLAB does.

    Parameters
    ----------
    image
        HWC float32 image in [0, 1] (any channel count, or H×W).
    scale
        Factor for both sides; the output side is ``ceil(side * scale)`` as in MATLAB, and the
        factor itself (not the ratio of sizes) drives the index mapping. Give exactly one of
        ``scale`` and ``size``.
    size
        Output ``(height, width)``; the per-axis factor is then ``out / in``.
    uint8
        Emulate MATLAB on a uint8 image: the input is quantised to k/255 and each 1-D pass is
        rounded to integers and saturated (MATLAB's ``imresize`` keeps uint8 between passes), so the
        output is on the k/255 grid. ``False``: MATLAB on ``double`` data (no rounding, no clip).

    Returns
    -------
    numpy.ndarray
        float32 image, same channel layout; unclipped unless ``uint8=True``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0, 1, 16, dtype=np.float32).reshape(4, 4)
    >>> imresize_matlab(x, scale=0.5).shape
    (2, 2)
    >>> float(imresize_matlab(np.full((8, 8), 0.3, np.float32), scale=3)[0, 0])  # constants stay constant
    0.30000001192092896
    """
    image = check_image(image)
    _check_scale_or_size(scale, size)
    h, w = image.shape[:2]
    if size is None:
        oh, ow = int(np.ceil(h * scale - 1e-9)), int(np.ceil(w * scale - 1e-9))
        sh = sw = float(scale)
    else:
        oh, ow = int(size[0]), int(size[1])
        sh, sw = oh / h, ow / w
    x = image.astype(np.float64)
    if uint8:
        x = np.floor(x * 255.0 + 0.5)
    planes = x[..., None] if x.ndim == 2 else x
    # MATLAB: the dimension with the smaller factor first (stable sort: rows first on a tie).
    passes = [(0, oh, sh), (1, ow, sw)]
    if sw < sh:
        passes.reverse()
    for axis, n_out, s in passes:
        mat = _matlab_weights(planes.shape[axis], n_out, s)
        planes = np.tensordot(mat, planes, axes=([1], [axis]))  # resized axis comes first
        if axis == 1:
            planes = planes.transpose(1, 0, 2)
        if uint8:  # MATLAB's round (half away from zero), then saturate to 0..255
            planes = np.clip(np.floor(planes + 0.5), 0, 255)
    out = (planes / 255.0 if uint8 else planes).astype(np.float32)
    return out[..., 0] if image.ndim == 2 else out

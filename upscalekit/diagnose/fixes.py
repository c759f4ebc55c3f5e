"""The fixes the artifact field guide recommends, as plain image functions.

Each one is a step you put before or after an upscaler; the scenarios in
:mod:`upscalekit.diagnose.scenarios` measure, with the matching detector,
whether it helps. All take and return public images (HWC float32 RGB in [0, 1]).
"""

from __future__ import annotations

import numpy as np

from upscalekit._checks import check_image
from upscalekit.models.strength import apply_strength  # the kit's one residual blend, re-exported here
from upscalekit.resize import resize

__all__ = ["add_grain", "apply_strength", "deblock", "denoise", "keep_interpolated_in", "text_regions"]

_DENOISERS = ("tv", "bilateral", "nlmeans")


def _base(lr: np.ndarray, size: tuple[int, int], *, clip: bool) -> np.ndarray:
    return resize(lr, size=size, method="bicubic", clip=clip)


def text_regions(lr: np.ndarray, *, scale: int, strokes: bool = True, contrast: float = 0.2) -> np.ndarray:
    """Where the input has text, as a boolean mask at the output's size (``scale`` × the LR's).

    Runs :func:`upscalekit.diagnose.text_mask` (MSER glyph candidates that sit
    in lines, the mask the text-warping detector judges) on the bicubic
    interpolation of the input. MSER is strict and misses many glyphs, which is
    right for a detector but leaves letters unprotected in a fix; with
    ``strokes`` the mask also covers thin dark-on-light or light-on-dark strokes
    (a morphological top-hat about two glyph strokes wide) with at least
    ``contrast`` of full range, joined along lines. That also catches thin lines
    in photos; protecting them only costs sharpness there.

    Examples
    --------
    >>> import numpy as np
    >>> text_regions(np.ones((16, 16, 3), np.float32), scale=2).shape
    (32, 32)
    """
    from scipy import ndimage

    from upscalekit.diagnose.detectors import text_mask
    from upscalekit.pixels import luma

    lr = check_image(lr, "lr")
    if int(scale) != scale or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    s = int(scale)
    base = luma(_base(lr, (lr.shape[0] * s, lr.shape[1] * s), clip=True))
    mask = text_mask(base, scale=s)
    if strokes:
        win = 4 * s + 3
        dark = ndimage.grey_closing(base, size=win) - base
        light = base - ndimage.grey_opening(base, size=win)
        ink = np.maximum(dark, light) > contrast
        ink = ndimage.binary_closing(ink, np.ones((3, 4 * s + 1), bool))  # letters of a word join up
        mask |= ndimage.binary_dilation(ink, np.ones((2 * s + 1, 2 * s + 1), bool))
    return mask


def keep_interpolated_in(mask: np.ndarray, sr: np.ndarray, lr: np.ndarray, *,
                         feather: float | None = None) -> np.ndarray:
    """Replace the upscaler's output by plain bicubic interpolation inside ``mask``.

    The fix for "alphabet soup": a model that cannot read a glyph draws a
    plausible other one, while interpolation keeps the letter the input had
    (soft, but the same letter). The mask edge is feathered with a Gaussian of
    ``feather`` SR pixels (default: the scale) so no seam is drawn around it.

    Parameters
    ----------
    mask
        H×W boolean or [0, 1] weights at the SR's size, e.g. :func:`text_regions`.
    sr
        The upscaler's output.
    lr
        The input it was made from; its size times an integer is the SR's.

    Examples
    --------
    >>> import numpy as np
    >>> lr = np.zeros((8, 8, 3), np.float32); sr = np.ones((16, 16, 3), np.float32)
    >>> float(keep_interpolated_in(np.ones((16, 16), bool), sr, lr).max())
    0.0
    """
    from scipy import ndimage

    from upscalekit.diagnose._common import integer_scale

    lr = check_image(lr, "lr")
    sr = check_image(sr, "sr")
    s = integer_scale(lr.shape, sr.shape)
    m = np.asarray(mask)
    if m.shape != sr.shape[:2]:
        raise ValueError(f"mask must have the SR's size {sr.shape[:2]}, got {m.shape}; build it at the SR's "
                         "size (text_regions(lr, scale=...) does)")
    w = m.astype(np.float32)
    sigma = float(s) if feather is None else float(feather)
    if sigma > 0:
        w = np.maximum(w, ndimage.gaussian_filter(w, sigma) * 2.0).clip(0, 1)  # grow a little, then soften
        w = ndimage.gaussian_filter(w, sigma / 2)
    w = np.clip(w, 0, 1)
    if sr.ndim == 3:
        w = w[..., None]
    base = _base(lr, sr.shape[:2], clip=True)
    return (w * base + (1.0 - w) * sr).astype(np.float32)


def denoise(image: np.ndarray, *, method: str = "tv", strength: float = 0.08) -> np.ndarray:
    """Classical denoising before upscaling (no downloaded model).

    Parameters
    ----------
    method
        ``"tv"`` (total-variation, ``skimage.restoration.denoise_tv_chambolle``,
        ``strength`` is its weight), ``"bilateral"`` (``denoise_bilateral``,
        ``strength`` is the colour sigma) or ``"nlmeans"`` (OpenCV's
        ``fastNlMeansDenoisingColored``, ``strength`` × 255 is its h).

    Examples
    --------
    >>> import numpy as np
    >>> noisy = np.random.default_rng(0).random((16, 16, 3)).astype(np.float32)
    >>> bool(denoise(noisy).std() < noisy.std())
    True
    """
    from upscalekit._checks import unknown_name

    img = check_image(image)
    if method not in _DENOISERS:
        raise unknown_name("denoiser", method, _DENOISERS)
    if not strength > 0:
        raise ValueError(f"strength must be > 0, got {strength!r}")
    gray = img.ndim == 2
    rgb = img[..., None] if gray else img
    if method == "tv":
        from skimage.restoration import denoise_tv_chambolle

        out = denoise_tv_chambolle(rgb, weight=strength, channel_axis=-1)
    elif method == "bilateral":
        from skimage.restoration import denoise_bilateral

        out = denoise_bilateral(rgb, sigma_color=strength, sigma_spatial=1.5, channel_axis=-1)
    else:
        import cv2

        from upscalekit.io import to_float, to_uint
        from upscalekit.pixels import as_rgb

        u8 = to_uint(as_rgb(rgb), 8)
        h = float(strength) * 255.0
        out = to_float(cv2.fastNlMeansDenoisingColored(np.ascontiguousarray(u8), None, h, h, 5, 15))
        if rgb.shape[2] == 1:
            out = out[..., :1]
    out = np.clip(np.asarray(out, np.float32), 0, 1)
    return out[..., 0] if gray else out


def deblock(image: np.ndarray, *, strength: float = 0.06) -> np.ndarray:
    """Soften 8×8 JPEG block edges: total-variation smoothing applied only near block boundaries.

    Pixels within two of a block boundary take the TV-denoised value, the
    block interiors keep theirs (where the real detail is). The grid starts at
    the top-left pixel, as JPEG's does.

    Examples
    --------
    >>> import numpy as np
    >>> deblock(np.full((16, 16, 3), 0.5, np.float32)).shape
    (16, 16, 3)
    """
    img = check_image(image)
    smooth = denoise(img, method="tv", strength=strength)
    h, w = img.shape[:2]
    near = np.zeros((h, w), np.float32)
    for axis, n in ((0, h), (1, w)):
        d = np.arange(n) % 8
        band = ((d <= 1) | (d >= 6)).astype(np.float32)
        band[:2] = 0  # the image border is not a block boundary
        band[-2:] = 0
        near = np.maximum(near, band[:, None] if axis == 0 else band[None, :])
    if img.ndim == 3:
        near = near[..., None]
    return (near * smooth + (1 - near) * img).astype(np.float32)


def add_grain(image: np.ndarray, sigma: float = 0.015, *, seed: int = 0) -> np.ndarray:
    """Mild film grain (luminance Gaussian noise), the field guide's remedy for waxy skin.

    Grain puts back fine texture energy, not the texture the scene had; it reads
    as "photographic" where smoothing reads as plastic.

    Examples
    --------
    >>> import numpy as np
    >>> add_grain(np.full((8, 8, 3), 0.5, np.float32), 0.01, seed=1).shape
    (8, 8, 3)
    """
    from upscalekit import degrade

    return degrade.gaussian_noise(check_image(image), sigma, seed=seed, gray=True)[0]



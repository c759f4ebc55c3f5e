"""The degradation lab: seeded, replayable ways to make a clean photo worse.

Super-resolution experiments need a low-resolution input whose ground truth is known. Every function
here takes a clean HWC float32 image in [0, 1] and returns ``(image, recipe)``: the degraded image and
a plain, JSON-able ``dict`` that :func:`apply` turns back into exactly the same pixels (bit for bit).
Randomness comes only from an explicit integer ``seed`` (NumPy's PCG64), so a recipe saved next to a
figure reproduces that figure on any machine.

Recipes compose: :func:`pipeline` runs a list of recipes, and :func:`second_order` draws a
Real-ESRGAN-style chain (blur → resize → noise → JPEG, twice) from a seed and records the drawn values
as a pipeline of concrete steps.

Examples
--------
>>> import numpy as np
>>> from upscalekit import degrade
>>> img = np.full((32, 32, 3), 0.5, np.float32)
>>> lr, recipe = degrade.downscale(img, 4)
>>> lr.shape, recipe["op"]
((8, 8, 3), 'downscale')
>>> bool(np.array_equal(degrade.apply(img, recipe), lr))
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from upscalekit import io
from upscalekit._checks import check_image, unknown_name
from upscalekit.pixels import luma
from upscalekit.resize import resize

__all__ = [
    "DegradeRecipe",
    "apply",
    "chroma_subsample",
    "downscale",
    "make_lr",
    "gain",
    "gaussian_blur",
    "gaussian_noise",
    "jpeg",
    "jpeg_generations",
    "motion_blur",
    "ops",
    "pipeline",
    "poisson_noise",
    "resize_to",
    "second_order",
]

#: A degradation recipe: ``{"op": name, **parameters}``, plain JSON types only (replayed by :func:`apply`).
#: Not :class:`upscalekit.diagnose.scenarios.Recipe`, which describes a whole artifact scenario.
DegradeRecipe = dict[str, Any]

_DOWNSCALE_METHODS = ("area", "bicubic", "bilinear", "nearest")
_RESIZE_METHODS = ("area", "bicubic", "bilinear", "nearest", "lanczos")
_SUBSAMPLING = ("4:4:4", "4:2:2", "4:2:0")


# ------------------------------------------------------------------------------------------ argument checks


def _number(value: Any, name: str, *, low: float | None = None, high: float | None = None,
            low_open: bool = False, hint: str = "") -> float:
    """A finite real number within bounds, or a ValueError that says which bound and why."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number, got {value!r} ({type(value).__name__}){hint}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}{hint}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {value:g}{hint}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high:g}, got {value:g}{hint}")
    return value


def _seed(seed: Any) -> int:
    if seed is None:
        raise ValueError("seed is required so the result can be reproduced: pass seed=0 (any int >= 0)")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    return int(seed)


def _method(method: str, allowed: Sequence[str]) -> str:
    if method not in allowed:
        raise unknown_name("resampling method", str(method), allowed)
    return method


def _rgb(image: np.ndarray, what: str) -> np.ndarray:
    image = check_image(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"{what} works on H×W×3 RGB images, got shape {image.shape}; "
            "drop alpha with image[..., :3] or make gray RGB with np.repeat(image[..., None], 3, axis=2)"
        )
    return image


def _planes(image: np.ndarray) -> np.ndarray:
    return image[..., None] if image.ndim == 2 else image


# ------------------------------------------------------------------------------------------ resampling


def make_lr(hr: np.ndarray, scale: int, *, method: str = "bicubic") -> np.ndarray:
    """The kit's low-resolution input of a ground truth: each side divided by ``scale``, bicubic.

    Every place that makes an LR from an HR (samples, the CLI's ``--hr``, study media, training
    pairs, the diagnosis scenarios) calls this, so "the ×4 LR of this photo" is the same pixels
    everywhere. Bicubic with antialiasing is the convention of the SR literature (MATLAB
    ``imresize``, BasicSR's paired data) and what the kit's pretrained models were trained on;
    :func:`downscale` offers the other kernels and non-integer factors as a recorded degradation.

    Parameters
    ----------
    hr
        Ground truth whose height and width divide by ``scale`` (crop it first, e.g.
        ``hr[: h // s * s, : w // s * s]``).
    scale
        Integer factor ≥ 1.
    method
        Downscaling kernel (see :data:`upscalekit.resize.METHODS`).

    Examples
    --------
    >>> import numpy as np
    >>> make_lr(np.zeros((8, 12, 3), np.float32), 4).shape
    (2, 3, 3)
    """
    hr = check_image(hr, "hr")
    if isinstance(scale, bool) or int(scale) != scale or scale < 1:
        raise ValueError(f"scale must be an integer >= 1, got {scale!r}")
    s = int(scale)
    h, w = hr.shape[:2]
    if h % s or w % s:
        raise ValueError(f"the HR's sides {h}×{w} do not divide by scale {s}; crop it first, e.g. "
                         f"hr[:{h // s * s}, :{w // s * s}]")
    return downscale(hr, s, method=method)[0]


def downscale(
    image: np.ndarray, factor: float, *, method: str = "bicubic"
) -> tuple[np.ndarray, DegradeRecipe]:
    """Make an image ``factor`` times smaller (any factor ≥ 1, e.g. 4 or 2.5).

    Each side becomes ``max(1, round(side / factor))``. The default ``"bicubic"`` (antialiased) is
    the kit's LR convention, the same pixels as :func:`make_lr`; ``"area"`` averages the covered
    pixels (what a camera sensor binning or a careful editor does); ``"bilinear"`` is Pillow's
    antialiased kernel; ``"nearest"`` skips pixels and aliases.

    Examples
    --------
    >>> import numpy as np
    >>> downscale(np.zeros((10, 10, 3), np.float32), 2.5)[0].shape
    (4, 4, 3)
    """
    image = check_image(image)
    f = _number(factor, "factor", low=1.0,
                hint="; factor is how many times smaller (4 → a quarter of each side). To enlarge use "
                     "upscalekit.resize.resize or an upscaler")
    _method(method, _DOWNSCALE_METHODS)
    h, w = image.shape[:2]
    size = (max(1, round(h / f)), max(1, round(w / f)))
    out = resize(image, size=size, method=method)
    return out, {"op": "downscale", "factor": f, "method": method}


def resize_to(image: np.ndarray, size: Sequence[int], *, method: str = "bicubic") -> tuple[
    np.ndarray, DegradeRecipe
]:
    """Resample to an exact ``(height, width)``, up or down (used inside :func:`second_order`).

    Examples
    --------
    >>> import numpy as np
    >>> resize_to(np.zeros((8, 8, 3), np.float32), (6, 12))[0].shape
    (6, 12, 3)
    """
    image = check_image(image)
    if len(size) != 2 or any(isinstance(s, bool) or int(s) != s or s < 1 for s in size):
        raise ValueError(f"size must be (height, width) with positive integers, got {size!r}")
    _method(method, _RESIZE_METHODS)
    hw = [int(size[0]), int(size[1])]
    out = resize(image, size=(hw[0], hw[1]), method=method)
    return out, {"op": "resize_to", "size": hw, "method": method}


# ------------------------------------------------------------------------------------------ blur


def gaussian_blur(image: np.ndarray, sigma: float | Sequence[float]) -> tuple[np.ndarray, DegradeRecipe]:
    """Blur with a Gaussian point-spread function (an out-of-focus or soft lens).

    Parameters
    ----------
    sigma
        Standard deviation in pixels; ``(sigma_y, sigma_x)`` for an anisotropic blur. 0 leaves the
        image unchanged. Edges are mirrored.

    Examples
    --------
    >>> import numpy as np
    >>> gaussian_blur(np.zeros((8, 8, 3), np.float32), 1.5)[1]
    {'op': 'gaussian_blur', 'sigma': [1.5, 1.5]}
    """
    from scipy.ndimage import gaussian_filter

    image = check_image(image)
    pair = list(sigma) if isinstance(sigma, list | tuple | np.ndarray) else [sigma, sigma]
    if len(pair) != 2:
        raise ValueError(f"sigma must be a number or (sigma_y, sigma_x), got {sigma!r}")
    sy, sx = (_number(s, "sigma", low=0.0, hint=" (pixels)") for s in pair)
    planes = _planes(image)
    out = np.empty_like(planes)
    for c in range(planes.shape[2]):
        out[..., c] = gaussian_filter(planes[..., c], sigma=(sy, sx), mode="mirror", truncate=4.0)
    np.clip(out, 0.0, 1.0, out=out)
    return (out[..., 0] if image.ndim == 2 else out), {"op": "gaussian_blur", "sigma": [sy, sx]}


def _motion_kernel(length: float, angle: float) -> np.ndarray:
    """A normalised line of ``length`` pixels at ``angle`` degrees (counter-clockwise from +x).

    Points are sampled densely along the segment and splatted bilinearly, so non-integer lengths
    and any angle give a smooth, centred kernel.
    """
    half = (length - 1) / 2.0
    size = 2 * int(math.ceil(half)) + 3
    centre = size // 2
    kernel = np.zeros((size, size), np.float64)
    n = max(2, int(math.ceil(length * 8)))
    t = np.linspace(-half, half, n)
    rad = math.radians(angle)
    xs = centre + t * math.cos(rad)
    ys = centre - t * math.sin(rad)  # image rows grow downwards
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    for dy, dx, wgt in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx), (1, 0, fy * (1 - fx)),
                        (1, 1, fy * fx)):
        np.add.at(kernel, (y0 + dy, x0 + dx), wgt)
    return (kernel / kernel.sum()).astype(np.float32)


def motion_blur(image: np.ndarray, length: float, angle: float = 0.0) -> tuple[np.ndarray, DegradeRecipe]:
    """Blur along a straight line, as when the camera moves during the exposure.

    Parameters
    ----------
    length
        Length of the streak in pixels (≥ 1; 1 leaves the image unchanged).
    angle
        Direction in degrees, counter-clockwise from horizontal.

    Examples
    --------
    >>> import numpy as np
    >>> motion_blur(np.zeros((16, 16, 3), np.float32), 5, 30)[0].shape
    (16, 16, 3)
    """
    from scipy.ndimage import convolve

    image = check_image(image)
    length = _number(length, "length", low=1.0, hint=" (pixels of streak)")
    angle = _number(angle, "angle", hint=" (degrees)")
    kernel = _motion_kernel(length, angle)
    planes = _planes(image)
    out = np.empty_like(planes)
    for c in range(planes.shape[2]):
        out[..., c] = convolve(planes[..., c], kernel, mode="mirror")
    np.clip(out, 0.0, 1.0, out=out)
    return (out[..., 0] if image.ndim == 2 else out), {"op": "motion_blur", "length": length, "angle": angle}


# -------------------------------------------------------------------------------------- exposure and noise


def gain(image: np.ndarray, factor: float) -> tuple[np.ndarray, DegradeRecipe]:
    """Multiply brightness by ``factor`` and clip: under-exposure (< 1) or digital gain (> 1).

    Examples
    --------
    >>> import numpy as np
    >>> float(gain(np.full((2, 2, 3), 0.5, np.float32), 0.5)[0].max())
    0.25
    """
    image = check_image(image)
    f = _number(factor, "factor", low=0.0, low_open=True, hint=" (brightness multiplier)")
    out = np.clip(image * np.float32(f), 0.0, 1.0).astype(np.float32)
    return out, {"op": "gain", "factor": f}



def gaussian_noise(image: np.ndarray, sigma: float, *, seed: int, gray: bool = False) -> tuple[
    np.ndarray, DegradeRecipe
]:
    """Add white Gaussian noise (sensor read noise), then clip to [0, 1].

    Parameters
    ----------
    sigma
        Standard deviation in image units: 0.02 ≈ 5/255. Clipping near black and white makes the
        measured spread there a little smaller.
    seed
        Integer seed; the same seed gives the same noise.
    gray
        One noise field shared by all channels (luminance noise) instead of independent colour noise.

    Examples
    --------
    >>> import numpy as np
    >>> out, rec = gaussian_noise(np.full((8, 8, 3), 0.5, np.float32), 0.05, seed=0)
    >>> rec["seed"]
    0
    """
    image = check_image(image)
    sigma = _number(sigma, "sigma", low=0.0, high=1.0, hint=" (image units: 0.02 ≈ 5/255)")
    seed = _seed(seed)
    rng = np.random.default_rng(seed)
    planes = _planes(image)
    shape = planes.shape[:2] + ((1,) if gray else (planes.shape[2],))
    noise = rng.standard_normal(shape, dtype=np.float32) * np.float32(sigma)
    out = np.clip(planes + noise, 0.0, 1.0).astype(np.float32)
    return (out[..., 0] if image.ndim == 2 else out), {
        "op": "gaussian_noise", "sigma": sigma, "seed": seed, "gray": bool(gray)}


def poisson_noise(image: np.ndarray, peak: float, *, seed: int, gray: bool = False) -> tuple[
    np.ndarray, DegradeRecipe
]:
    """Photon shot noise: a pixel of value ``v`` collects Poisson(``v * peak``) photons.

    Parameters
    ----------
    peak
        Photons collected at full brightness (v = 1). Small peaks (10–100) are a dark scene or a tiny
        sensor; the noise spread at value ``v`` is ``sqrt(v / peak)``, so shadows get relatively noisier.
    seed
        Integer seed.
    gray
        Draw the noise from luminance and add the same deviation to every channel.

    Examples
    --------
    >>> import numpy as np
    >>> poisson_noise(np.full((8, 8, 3), 0.5, np.float32), 30.0, seed=1)[0].shape
    (8, 8, 3)
    """
    image = check_image(image)
    peak = _number(peak, "peak", low=0.0, low_open=True, hint=" (photons at full brightness, e.g. 30)")
    seed = _seed(seed)
    rng = np.random.default_rng(seed)
    planes = _planes(image).astype(np.float64)
    if gray:
        lum = luma(planes)
        dev = rng.poisson(lum * peak) / peak - lum
        out = planes + dev[..., None]
    else:
        out = rng.poisson(planes * peak) / peak
    out = np.clip(out, 0.0, 1.0).astype(np.float32)
    return (out[..., 0] if image.ndim == 2 else out), {
        "op": "poisson_noise", "peak": peak, "seed": seed, "gray": bool(gray)}


# ------------------------------------------------------------------------------------------ codecs


def jpeg(image: np.ndarray, quality: int, *, subsampling: str = "4:2:0") -> tuple[np.ndarray, DegradeRecipe]:
    """Encode with the real JPEG codec (libjpeg via Pillow) at ``quality`` and decode again.

    Examples
    --------
    >>> import numpy as np
    >>> jpeg(np.full((16, 16, 3), 0.5, np.float32), 30)[1]
    {'op': 'jpeg', 'quality': 30, 'subsampling': '4:2:0'}
    """
    image = _rgb(image, "jpeg")
    q = _quality(quality)
    if subsampling not in _SUBSAMPLING:
        raise unknown_name("chroma subsampling", str(subsampling), _SUBSAMPLING)
    out = io.jpeg_roundtrip(image, q, subsampling=subsampling)
    return out, {"op": "jpeg", "quality": q, "subsampling": subsampling}


def _quality(quality: Any) -> int:
    if isinstance(quality, bool) or not isinstance(quality, int | np.integer) or not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be an int in 1..100 (as in image editors), got {quality!r}")
    return int(quality)


def jpeg_generations(
    image: np.ndarray,
    n: int,
    *,
    quality: int = 80,
    resize_jitter: float = 0.1,
    subsampling: str = "4:2:0",
    seed: int,
) -> tuple[np.ndarray, DegradeRecipe]:
    """Re-encode ``n`` times, as a photo shared, saved and re-uploaded across platforms.

    Each generation rescales the image by a random factor in ``[1 - resize_jitter, 1 + resize_jitter]``
    (a platform fitting it to its own display size), brings it back to the original size, and
    re-encodes it as JPEG at ``quality``. Pure re-encoding at one quality soon stops losing much;
    the small resizes move the 8×8 block grid and keep the damage accumulating.

    The factors are drawn one per generation in order, so ``n=3`` with a seed gives exactly the first
    three generations of ``n=5`` with that seed: loop over ``n`` to plot quality per generation.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.random.default_rng(0).random((32, 32, 3)).astype(np.float32)
    >>> out, rec = jpeg_generations(img, 3, seed=0)
    >>> out.shape, rec["source"]["n"]
    ((32, 32, 3), 3)
    """
    image = _rgb(image, "jpeg_generations")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n (number of generations) must be an int >= 1, got {n!r}")
    q = _quality(quality)
    jitter = _number(resize_jitter, "resize_jitter", low=0.0, high=0.5,
                     hint=" (fraction: 0.1 means resizes between 90% and 110%)")
    seed = _seed(seed)
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    steps: list[DegradeRecipe] = []
    for _ in range(int(n)):
        s = float(rng.uniform(1.0 - jitter, 1.0 + jitter))
        size = [max(1, round(h * s)), max(1, round(w * s))]
        if jitter > 0 and size != [h, w]:
            steps.append({"op": "resize_to", "size": size, "method": "bicubic"})
            steps.append({"op": "resize_to", "size": [h, w], "method": "bicubic"})
        steps.append({"op": "jpeg", "quality": q, "subsampling": subsampling})
    out = _run_steps(image, steps)
    return out, {"op": "pipeline", "steps": steps, "source": {
        "op": "jpeg_generations", "n": int(n), "quality": q, "resize_jitter": jitter,
        "subsampling": subsampling, "seed": seed}}


def chroma_subsample(image: np.ndarray, mode: str = "4:2:0") -> tuple[np.ndarray, DegradeRecipe]:
    """Keep full-resolution brightness but halve the colour resolution, as JPEG and video codecs do.

    The image goes to YCbCr (JPEG's full-range BT.601), Cb and Cr are averaged over 2×2 pixels
    (``"4:2:0"``) or 2×1 (``"4:2:2"``), brought back with bilinear interpolation, and converted to RGB.
    No quantisation: this isolates what colour subsampling alone does (colour bleeding at sharp
    coloured edges, e.g. red text).

    Examples
    --------
    >>> import numpy as np
    >>> chroma_subsample(np.full((6, 6, 3), 0.5, np.float32))[0].shape
    (6, 6, 3)
    """
    image = _rgb(image, "chroma_subsample")
    if mode not in _SUBSAMPLING:
        raise unknown_name("chroma subsampling", str(mode), _SUBSAMPLING)
    recipe = {"op": "chroma_subsample", "mode": mode}
    if mode == "4:4:4":
        return image.copy(), recipe
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    y = luma(image)
    cb = -0.168736 * r - 0.331264 * g + 0.5 * b + 0.5
    cr = 0.5 * r - 0.418688 * g - 0.081312 * b + 0.5
    h, w = y.shape
    small = (math.ceil(h / 2) if mode == "4:2:0" else h, math.ceil(w / 2))
    cb, cr = (resize(resize(np.clip(c, 0, 1).astype(np.float32), size=small, method="area"),
                     size=(h, w), method="bilinear") - 0.5 for c in (cb, cr))
    out = np.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], axis=2)
    return np.clip(out, 0.0, 1.0).astype(np.float32), recipe


# ------------------------------------------------------------------------------------------ Real-ESRGAN


def _draw_stage(rng: np.random.Generator, *, size: tuple[int, int], blur_prob: float,
                sigma_range: tuple[float, float], resize_prob: tuple[float, float, float],
                resize_range: tuple[float, float], noise_range: tuple[float, float],
                poisson_range: tuple[float, float]) -> tuple[list[DegradeRecipe], tuple[int, int]]:
    """Draw one blur → resize → noise → JPEG stage; ``size`` is the size the resize is relative to."""
    steps: list[DegradeRecipe] = []
    if rng.uniform() < blur_prob:
        if rng.uniform() < 0.5:  # isotropic
            s = float(rng.uniform(*sigma_range))
            steps.append({"op": "gaussian_blur", "sigma": [s, s]})
        else:  # anisotropic, axis-aligned
            steps.append({"op": "gaussian_blur", "sigma": [float(rng.uniform(*sigma_range)),
                                                           float(rng.uniform(*sigma_range))]})
    kind = rng.choice(3, p=list(resize_prob))
    if kind == 0:
        f = float(rng.uniform(1.0, resize_range[1]))
    elif kind == 1:
        f = float(rng.uniform(resize_range[0], 1.0))
    else:
        f = 1.0
    method = str(rng.choice(["area", "bilinear", "bicubic"]))
    new = (max(1, round(size[0] * f)), max(1, round(size[1] * f)))
    steps.append({"op": "resize_to", "size": list(new), "method": method})
    gray = bool(rng.uniform() < 0.4)
    noise_seed = int(rng.integers(0, 2**31 - 1))
    if rng.uniform() < 0.5:
        sigma = float(rng.uniform(*noise_range)) / 255.0
        steps.append({"op": "gaussian_noise", "sigma": sigma, "seed": noise_seed, "gray": gray})
    else:
        # Real-ESRGAN scales Poisson noise drawn at 256 levels by s: spread s·sqrt(v/256) = sqrt(v/peak).
        s = float(rng.uniform(*poisson_range))
        steps.append({"op": "poisson_noise", "peak": 256.0 / s**2, "seed": noise_seed, "gray": gray})
    steps.append({"op": "jpeg", "quality": int(rng.integers(30, 96)), "subsampling": "4:2:0"})
    return steps, new


def second_order(image: np.ndarray, *, scale: int = 4, seed: int) -> tuple[np.ndarray, DegradeRecipe]:
    """A Real-ESRGAN-style "high-order" degradation: blur → resize → noise → JPEG, twice, then to size.

    The parameters are drawn from ``seed`` within the ranges of Real-ESRGAN's x4plus training
    configuration (Wang et al., 2021): stage 1 blur σ 0.2–3, resize ×0.15–1.5 (up 20 %, down 70 %,
    keep 10 %), Gaussian noise σ 1–30/255 or Poisson scale 0.05–3 (even odds, gray noise 40 %), JPEG
    quality 30–95; stage 2 blur with probability 0.8, σ 0.2–1.5, resize ×0.3–1.2 of the target size
    (30/40/30 %), noise 1–25/255 or Poisson 0.05–2.5, JPEG 30–95; then a resize to exactly
    ``1/scale`` of the input and a last JPEG. Simplified against the original: Gaussian kernels only
    (isotropic or axis-aligned anisotropic; no rotated, generalised, plateau or sinc kernels), and the
    final resize and JPEG are not shuffled.

    Returns
    -------
    (numpy.ndarray, dict)
        The LR image of shape ``(round(h / scale), round(w / scale))`` and a pipeline recipe listing
        every drawn step; ``recipe["source"]`` records the seed and scale.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.random.default_rng(0).random((64, 64, 3)).astype(np.float32)
    >>> second_order(img, scale=4, seed=0)[0].shape
    (16, 16, 3)
    """
    image = _rgb(image, "second_order")
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise ValueError(f"scale must be an int >= 1 (4 for a ×4 upscaler's training pairs), got {scale!r}")
    seed = _seed(seed)
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    target = (max(1, round(h / scale)), max(1, round(w / scale)))
    steps, _ = _draw_stage(rng, size=(h, w), blur_prob=1.0, sigma_range=(0.2, 3.0),
                           resize_prob=(0.2, 0.7, 0.1), resize_range=(0.15, 1.5),
                           noise_range=(1.0, 30.0), poisson_range=(0.05, 3.0))
    # Stage 2 resizes relative to the final LR size, as Real-ESRGAN does (ori_h / scale * factor).
    second, _ = _draw_stage(rng, size=target, blur_prob=0.8, sigma_range=(0.2, 1.5),
                            resize_prob=(0.3, 0.4, 0.3), resize_range=(0.3, 1.2),
                            noise_range=(1.0, 25.0), poisson_range=(0.05, 2.5))
    jpeg_last = second.pop()  # the stage-2 JPEG happens after the final resize
    method = str(rng.choice(["area", "bilinear", "bicubic"]))
    steps += second + [{"op": "resize_to", "size": list(target), "method": method}, jpeg_last]
    out = _run_steps(image, steps)
    return out, {"op": "pipeline", "steps": steps,
                 "source": {"op": "second_order", "scale": int(scale), "seed": seed}}


# ------------------------------------------------------------------------------------------ composition


def ops() -> dict[str, Callable[..., tuple[np.ndarray, DegradeRecipe]]]:
    """The operations a recipe may name, by name.

    Examples
    --------
    >>> "jpeg" in ops()
    True
    """
    return {
        "downscale": downscale, "resize_to": resize_to, "gain": gain, "gaussian_blur": gaussian_blur,
        "motion_blur": motion_blur, "gaussian_noise": gaussian_noise, "poisson_noise": poisson_noise,
        "jpeg": jpeg, "jpeg_generations": jpeg_generations, "chroma_subsample": chroma_subsample,
        "second_order": second_order, "pipeline": pipeline,
    }


def _call(image: np.ndarray, recipe: Mapping[str, Any]) -> tuple[np.ndarray, DegradeRecipe]:
    if not isinstance(recipe, Mapping) or "op" not in recipe:
        raise ValueError(f"a recipe is a dict with an 'op' key, e.g. {{'op': 'jpeg', 'quality': 50}}; "
                         f"got {recipe!r}")
    table = ops()
    name = recipe["op"]
    if name not in table:
        raise unknown_name("degradation", str(name), table)
    params = {k: v for k, v in recipe.items() if k not in ("op", "source")}
    if name == "pipeline":
        return pipeline(image, params.get("steps", []))
    positional = {"downscale": ("factor",), "gain": ("factor",), "resize_to": ("size",),
                  "gaussian_blur": ("sigma",), "motion_blur": ("length", "angle"), "jpeg": ("quality",),
                  "jpeg_generations": ("n",), "chroma_subsample": ("mode",)}.get(name, ())
    args = []
    for p in positional:
        if p not in params:
            raise ValueError(f"recipe for {name!r} lacks {p!r}: {dict(recipe)!r}")
        args.append(params.pop(p))
    try:
        return table[name](image, *args, **params)
    except TypeError as err:
        raise ValueError(f"recipe for {name!r} has parameters the function does not take: {err}") from err


def _run_steps(image: np.ndarray, steps: Sequence[Mapping[str, Any]]) -> np.ndarray:
    for step in steps:
        image = _call(image, step)[0]
    return image


def pipeline(image: np.ndarray, steps: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, DegradeRecipe]:
    """Run recipes one after another; returns the result and the recipes each step actually used.

    Parameters
    ----------
    steps
        Recipes such as ``{"op": "gaussian_blur", "sigma": 1.2}``; seeded steps need their ``"seed"``.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((16, 16, 3), 0.5, np.float32)
    >>> out, rec = pipeline(img, [{"op": "gaussian_blur", "sigma": 1.0}, {"op": "downscale", "factor": 4}])
    >>> out.shape, [s["op"] for s in rec["steps"]]
    ((4, 4, 3), ['gaussian_blur', 'downscale'])
    """
    image = check_image(image)
    if isinstance(steps, Mapping) or not isinstance(steps, Sequence):
        raise ValueError(f"steps must be a list of recipe dicts, got {type(steps).__name__}")
    done: list[DegradeRecipe] = []
    for step in steps:
        image, rec = _call(image, step)
        done.append(rec)
    return image, {"op": "pipeline", "steps": done}


def apply(image: np.ndarray, recipe: Mapping[str, Any]) -> np.ndarray:
    """Replay a recipe returned by any function here: same input → bit-identical output.

    Works on recipes that went through ``json.dumps``/``json.loads`` too.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((16, 16, 3), 0.5, np.float32)
    >>> out, rec = gaussian_noise(img, 0.1, seed=3)
    >>> bool(np.array_equal(apply(img, rec), out))
    True
    """
    return _call(check_image(image), recipe)[0]

"""Artifact recipes: reproduce each failure with a real model on a real sample, and its fix.

``reproduce(name)`` builds the input, runs the model and returns a
:class:`Scenario` (LR, SR, reference, the detector that judges it and what was
done); ``reproduce(name, fix=True)`` applies the field guide's remedy to the
same input. :func:`measure_fix` returns both with the detector's score before
and after, so every fix claim is a measured number.

The crops are small (32–64 LR pixels) so the heavy RRDB models run in seconds
on a CPU. Model outputs are memoized per process (a recipe and its fix share
one network run where the fix is a post-processing step or a strength change).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from upscalekit._checks import unknown_name
from upscalekit.diagnose import fixes as _fx
from upscalekit.diagnose._common import Finding
from upscalekit.diagnose.report import DETECTORS, Report, diagnose
from upscalekit.models import memoize_runs, upscale_by
from upscalekit.pixels import center_crop

if TYPE_CHECKING:  # pragma: no cover
    import os

    import pandas as pd
    from matplotlib.figure import Figure

    from upscalekit.models import Upscaler

__all__ = ["RECIPES", "FixMeasurement", "Recipe", "Scenario", "cached_model", "diagnose_files",
           "fix_table", "measure_fix", "names", "plot_fix", "reproduce", "scenario"]


@dataclass(frozen=True)
class Recipe:
    """How one artifact is reproduced and fixed (the field guide row behind a scenario).

    Attributes
    ----------
    name : str
        Scenario key.
    title : str
        Human title.
    detector : str
        The detector (a key of :data:`upscalekit.diagnose.DETECTORS`) that judges it.
    sample : str
        The :mod:`upscalekit.samples` photo it uses.
    model : str
        The model that shows the artifact (``upscaler=`` overrides it).
    symptom, cause, fix : str
        What you see, why it happens, what the fix does.
    """

    name: str
    title: str
    detector: str
    sample: str
    model: str
    symptom: str
    cause: str
    fix: str


@dataclass(frozen=True, eq=False)
class Scenario:
    """One reproduced (or fixed) artifact: the images and the detector's verdict.

    Attributes
    ----------
    name : str
        Recipe name.
    lr, sr : numpy.ndarray
        The input the pipeline saw and its output.
    reference : numpy.ndarray or None
        Ground truth at the SR's size when the recipe has one. It never decides the verdict (that is
        always measured against the input, as calibrated); the finding's ``details["vs_reference"]``
        holds the detector's reading against it, for information.
    detector : str
        The detector that judges this artifact.
    explanation : str
        What was run (model, crop, settings) and, with ``fixed``, what the fix changed.
    fixed : bool
        Whether the fix was applied.
    finding : Finding
        The detector's verdict on (lr, sr, reference).
    """

    name: str
    lr: np.ndarray = field(repr=False)
    sr: np.ndarray = field(repr=False)
    reference: np.ndarray | None = field(repr=False)
    detector: str
    explanation: str
    fixed: bool
    finding: Finding = field(repr=False)

    @property
    def score(self) -> float:
        """The detector's score (larger is worse)."""
        return self.finding.score

    def report(self, detectors: list[str] | None = None) -> Report:
        """All detectors (or the ones named) on this scenario, as a :class:`Report`."""
        return diagnose(self.lr, self.sr, reference=self.reference, detectors=detectors)


@dataclass(frozen=True, eq=False)
class FixMeasurement:
    """A recipe before and after its fix, judged by the same detector."""

    name: str
    detector: str
    before: Scenario = field(repr=False)
    after: Scenario = field(repr=False)

    @property
    def score_before(self) -> float:
        return self.before.score

    @property
    def score_after(self) -> float:
        return self.after.score

    @property
    def improved(self) -> bool:
        """The fix lowered the detector's score."""
        return self.score_after < self.score_before


# --- model runs, memoized ------------------------------------------------------------------------------
@lru_cache(maxsize=6)
def cached_model(name: str) -> Upscaler:
    """``load_model(name)``, loaded once per process (the RRDB models take seconds to load on a CPU).

    Examples
    --------
    >>> cached_model("bicubic") is cached_model("bicubic")
    True
    """
    from upscalekit.models import load_model

    return load_model(name, progress=False)


def _upscale(upscaler: Upscaler, lr: np.ndarray, *, factor: float | None = None, **kwargs: Any) -> np.ndarray:
    if factor is None:
        return upscaler.upscale(lr, progress=False, **kwargs)
    return upscale_by(upscaler, lr, factor, progress=False, **kwargs)


#: ``upscaler.upscale(lr, **kwargs)`` (or ``upscale_by`` with ``factor=``) once per (model, input,
#: settings) in this process: the kit's one run memo (:func:`upscalekit.models.memoize_runs`).
_run = memoize_runs(_upscale, maxsize=48)


def _crop(img: np.ndarray, y: int, x: int, h: int, w: int) -> np.ndarray:
    return np.ascontiguousarray(img[y:y + h, x:x + w])


def _sample(name: str, y: int, x: int, h: int, w: int, *, scale: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """LR crop (LR pixel coordinates) and the matching HR crop."""
    from upscalekit import samples

    s = samples.load(name, scale=scale)
    return _crop(s.lr, y, x, h, w), _crop(s.hr, y * scale, x * scale, h * scale, w * scale)


def _correlated_noise(shape: tuple[int, ...], amplitude: float, corr: float, seed: int) -> np.ndarray:
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    n = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), (corr, corr, 0))
    return (n / n.std() * amplitude).astype(np.float32)


# --- the recipes ---------------------------------------------------------------------------------------
# Each builder returns (lr, sr, reference, explanation). Settings are the ones measured in
# tests/test_diagnose_models.py and notebooks/02_artifact_diagnosis.ipynb.
Builder = Callable[["Upscaler", bool], tuple[np.ndarray, np.ndarray, "np.ndarray | None", str]]

#: Scenario name → its :class:`Recipe` (the field-guide row), in field-guide order.
RECIPES: dict[str, Recipe] = {}
_BUILDERS: dict[str, Builder] = {}


def scenario(recipe: Recipe) -> Callable[[Builder], Builder]:
    """Register a builder ``(upscaler, fix) -> (lr, sr, reference, explanation)`` with its recipe.

    The recipe (what the artifact looks like, why, the fix) and the code that
    reproduces it live together; :func:`reproduce` finds both by name.
    """
    def deco(fn: Builder) -> Builder:
        if recipe.name in RECIPES:
            raise ValueError(f"scenario {recipe.name!r} is already registered")
        RECIPES[recipe.name] = recipe
        _BUILDERS[recipe.name] = fn
        return fn
    return deco

TEXT_CROP = (40, 96, 48, 64)  # page sample at ×2: LR rows, cols, height, width
BRICK_CROP = (0, 0, 32, 32)
BRICK_STRENGTH, BRICK_FIX_STRENGTH = 1.0, 0.5
NOISE_CROP = (96, 96, 32, 32)  # coffee HR pixels (the noisy photo is the input)
NOISE_AMPLITUDE, NOISE_CORR, NOISE_STRENGTH = 0.03, 0.6, 3.0
NOISE_DENOISE = 0.05  # TV weight of the fix
JPEG_CROP, JPEG_QUALITY = (0, 0, 32, 32), 20
SEAM_TILE = 16
SEAM_FIX_OVERLAP = 4
HALO_CROP, HALO_STRENGTH, HALO_FIX_STRENGTH = (0, 0, 32, 32), 2.0, 1.0
FACE_CROP = (8, 16, 32, 32)  # the astronaut's face, LR pixels
GRAIN_SIGMA = 0.02


@scenario(
    Recipe("text_warping", "Alphabet soup (text warping)", "text_warping", "page",
           "realesr-animevideov3-x2", "letters redrawn as plausible but different glyphs",
           "the model treats small text as texture and predicts glyph-like shapes",
           "mask text regions and keep them as plain interpolation (keep_interpolated_in)")
)
def _text(up: Upscaler, fix: bool) -> tuple[np.ndarray, np.ndarray, None, str]:
    lr, _ = _sample("page", *TEXT_CROP, scale=2)
    sr = _run(up, lr, outscale=2, tile=None)
    expl = f"{up.name} on a {lr.shape[1]}×{lr.shape[0]} crop of the scanned page (×2)"
    if fix:
        mask = _fx.text_regions(lr, scale=2)
        sr = _fx.keep_interpolated_in(mask, sr, lr)
        expl += f"; text regions ({100 * mask.mean():.1f}% of the image) kept as bicubic interpolation"
    return lr, sr, None, expl


@scenario(
    Recipe("false_regularity", "Brick wallpaper (false regularity / texture overload)", "false_regularity",
           "brick", "realesrgan-x4plus", "irregular bricks rendered as a repeating print",
           "high-frequency hallucination overshoot: the model imposes the texture it learned",
           f"lower strength ({BRICK_STRENGTH} → {BRICK_FIX_STRENGTH})")
)
def _brick(up: Upscaler, fix: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    lr, hr = _sample("brick", *BRICK_CROP)
    raw = _run(up, lr, tile=None)
    a = BRICK_FIX_STRENGTH if fix else BRICK_STRENGTH
    expl = f"{up.name} on a {lr.shape[1]}×{lr.shape[0]} brick crop, strength {a}"
    return lr, _fx.apply_strength(lr, raw, a), hr, expl


def _noisy_input() -> np.ndarray:
    from upscalekit import samples

    y, x, h, w = NOISE_CROP
    clean = _crop(samples.load("coffee").hr, y, x, h, w)
    return np.clip(clean + _correlated_noise(clean.shape, NOISE_AMPLITUDE, NOISE_CORR, 0), 0, 1).astype(
        np.float32)


@scenario(
    Recipe("noise_amplification", "Noise amplification (oil-painting speckle)", "noise_amplification",
           "coffee", "realsr-df2k-x4", "sensor noise sharpened into crisp speckle",
           "noise looks like texture to a model that was not trained to remove it",
           "denoise first (skimage total variation), then upscale")
)
def _noise(up: Upscaler, fix: bool) -> tuple[np.ndarray, np.ndarray, None, str]:
    lr = _noisy_input()
    src = _fx.denoise(lr, method="tv", strength=NOISE_DENOISE) if fix else lr
    sr = _fx.apply_strength(src, _run(up, src, tile=None), NOISE_STRENGTH)
    expl = (f"{up.name} at strength {NOISE_STRENGTH} on a {lr.shape[1]}×{lr.shape[0]} coffee crop with "
            f"correlated sensor-like noise (σ {NOISE_AMPLITUDE})")
    if fix:
        expl += f"; denoised first (total variation, weight {NOISE_DENOISE})"
    return lr, sr, None, expl


@scenario(
    Recipe("jpeg_blocks", "JPEG blocks hardened into a lattice", "jpeg_blocks", "coffee", "realsr-df2k-x4",
           "faint 8×8 block steps redrawn as hard lines",
           "a model trained without JPEG degradations reads block edges as real edges",
           "smooth the block edges first (deblock), or use a model trained with JPEG (Real-ESRGAN)")
)
def _jpeg(up: Upscaler, fix: bool) -> tuple[np.ndarray, np.ndarray, None, str]:
    from upscalekit import degrade

    clean, _ = _sample("coffee", *JPEG_CROP)
    lr, _ = degrade.jpeg(clean, JPEG_QUALITY)
    src = _fx.deblock(lr) if fix else lr
    sr = _run(up, src, tile=None)
    expl = f"{up.name} on a {lr.shape[1]}×{lr.shape[0]} coffee crop saved as JPEG q={JPEG_QUALITY}"
    if fix:
        expl += "; block edges smoothed first (deblock)"
    return lr, sr, None, expl


@scenario(
    Recipe("tile_seams", "Tile seams", "tile_seams", "astronaut", "realesr-animevideov3-x4",
           "straight lines on a grid where tiles meet",
           "each tile saw padding instead of its neighbours and was pasted without blending",
           f"overlap and feather the tiles (tile_overlap={SEAM_FIX_OVERLAP})")
)
def _seams(up: Upscaler, fix: bool) -> tuple[np.ndarray, np.ndarray, None, str]:
    from upscalekit import samples

    lr = np.ascontiguousarray(samples.load("astronaut").lr)
    ov = SEAM_FIX_OVERLAP if fix else 0
    sr = _run(up, lr, tile=SEAM_TILE, tile_overlap=ov)
    expl = (f"{up.name} on the {lr.shape[1]}×{lr.shape[0]} astronaut input in {SEAM_TILE}-px tiles, "
            f"tile_overlap={ov}" + (" (overlapping, feathered)" if fix else " (no context, no blending)"))
    return lr, sr, None, expl


@scenario(
    Recipe("haloing", "Haloing", "haloing", "camera", "realesrgan-x4plus", "bright/dark outlines along edges",
           "over-aggressive sharpening: the model's residual pushed past what the input allows",
           f"lower strength ({HALO_STRENGTH} → {HALO_FIX_STRENGTH})")
)
def _halo(up: Upscaler, fix: bool) -> tuple[np.ndarray, np.ndarray, None, str]:
    lr, _ = _sample("camera", *HALO_CROP)
    a = HALO_FIX_STRENGTH if fix else HALO_STRENGTH
    sr = _fx.apply_strength(lr, _run(up, lr, tile=None), a)
    return lr, sr, None, f"{up.name} on a {lr.shape[1]}×{lr.shape[0]} camera crop, strength {a}"


@scenario(
    Recipe("plastic_skin", "Plastic skin (over-smoothing)", "over_smoothing", "astronaut",
           "realesr-animevideov3-x4", "faces look waxy, pores and fine wrinkles gone",
           "the model prefers clean, smooth skin patterns and wipes fine texture",
           f"mild grain reintroduction (σ {GRAIN_SIGMA})")
)
def _face(up: Upscaler, fix: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    lr, hr = _sample("astronaut", *FACE_CROP)
    sr = _run(up, lr, tile=None)
    expl = (f"{up.name} on the {lr.shape[1]}×{lr.shape[0]} astronaut face (judged against the input; the "
            "ground-truth reading is in details['vs_reference'])")
    if fix:
        sr = _fx.add_grain(sr, GRAIN_SIGMA, seed=0)
        expl += f"; mild grain added (σ {GRAIN_SIGMA})"
    return lr, sr, hr, expl


@scenario(
    Recipe("two_pass", "4× in one step vs 2× + 2×", "over_smoothing", "chelsea", "realesr-animevideov3-x4",
           "one big jump invents (or wipes) more than two small ones",
           "×4 asks the model to fill 15 of every 16 output pixels at once",
           "upscale ×2, then ×2 again (the x2 variant of the same model)")
)
def _two_pass(up: Upscaler, fix: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    from upscalekit import samples

    s = samples.load("chelsea")
    lr = np.ascontiguousarray(s.lr)
    if fix:
        x2 = cached_model(up.name.replace("-x4", "-x2")) if up.name.endswith("-x4") else up
        if x2.scale != 2:
            raise ValueError(f"{x2.name} is a ×{x2.scale} model; the 2×+2× fix needs a ×2 one")
        sr = _run(x2, lr, factor=4, tile=None)  # upscale_by: two ×2 passes
        return lr, sr, np.asarray(s.hr), f"{x2.name} twice (×2 then ×2) on the {lr.shape[1]}-px cat"
    return lr, _run(up, lr, tile=None), np.asarray(s.hr), f"{up.name} once (×4) on the {lr.shape[1]}-px cat"


def names() -> tuple[str, ...]:
    """Scenario names, in field-guide order.

    Examples
    --------
    >>> "tile_seams" in names()
    True
    """
    return tuple(RECIPES)


def reproduce(name: str, *, fix: bool = False, upscaler: Upscaler | None = None) -> Scenario:
    """Reproduce one artifact with a real model on a real sample (or its fix, ``fix=True``).

    Parameters
    ----------
    name
        One of :func:`names`.
    fix
        Apply the recipe's fix to the same input.
    upscaler
        Use this upscaler instead of the recipe's model (loaded once per process).

    Raises
    ------
    KeyError
        Unknown scenario name (close matches are suggested).

    Examples
    --------
    >>> sc = reproduce("tile_seams")  # doctest: +SKIP
    >>> sc.finding.flagged, sc.finding.details["columns"]["period"]  # doctest: +SKIP
    (True, 64)
    """
    if name not in RECIPES:
        raise unknown_name("scenario", name, RECIPES)
    recipe = RECIPES[name]
    up = upscaler if upscaler is not None else cached_model(recipe.model)
    lr, sr, ref, expl = _BUILDERS[name](up, fix)
    finding = DETECTORS[recipe.detector](lr, sr, reference=ref)
    return Scenario(name, lr, sr, ref, recipe.detector, expl, fix, finding)


def measure_fix(name: str, *, upscaler: Upscaler | None = None) -> FixMeasurement:
    """Reproduce an artifact and its fix; the detector's score before and after.

    Examples
    --------
    >>> m = measure_fix("haloing")  # doctest: +SKIP
    >>> m.score_after < m.score_before  # doctest: +SKIP
    True
    """
    before = reproduce(name, upscaler=upscaler)
    after = reproduce(name, fix=True, upscaler=upscaler)
    return FixMeasurement(name, RECIPES[name].detector, before, after)


def fix_table(measurements: list[FixMeasurement]) -> pd.DataFrame:
    """One row per measured fix: detector, score and flag before and after, the fix applied."""
    import pandas as pd

    return pd.DataFrame([
        {"scenario": m.name, "detector": m.detector, "score before": m.score_before,
         "flagged before": m.before.finding.flagged, "score after": m.score_after,
         "flagged after": m.after.finding.flagged, "fix": RECIPES[m.name].fix}
        for m in measurements
    ])


def plot_fix(measurement: FixMeasurement, *, opacity: float = 0.6, size: float = 3.2) -> Figure:
    """Input, output before the fix and after it, each with the detector's heatmap; scores in the titles.

    Examples
    --------
    >>> fig = plot_fix(measure_fix("haloing"))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    from upscalekit.display import overlay_heatmap
    from upscalekit.resize import resize

    b, a = measurement.before, measurement.after
    fig, axes = plt.subplots(1, 3, figsize=(3 * size, size + 0.5))
    axes[0].imshow(resize(b.lr, size=b.sr.shape[:2], method="nearest"), interpolation="nearest")
    axes[0].set_title(f"input {b.lr.shape[1]}×{b.lr.shape[0]} (nearest)", fontsize=9)
    for ax, sc, tag in ((axes[1], b, "before"), (axes[2], a, "after fix")):
        f = sc.finding
        ax.imshow(overlay_heatmap(sc.sr, f.heatmap, opacity, vmax=1.0), interpolation="nearest")
        ax.set_title(f"{tag}: {f.name} {f.score:.3g}{' ⚠' if f.flagged else ''}", fontsize=9,
                     color="crimson" if f.flagged else "black")
    for ax in axes:
        ax.axis("off")
    fig.suptitle(RECIPES[measurement.name].title, fontsize=10)
    fig.tight_layout()
    return fig


def diagnose_files(
    image_path: str | os.PathLike[str],
    sr_path: str | os.PathLike[str] | None = None,
    *,
    model: str | Upscaler = "realesr-animevideov3-x4",
    max_side: int | None = 96,
) -> Report:
    """Diagnose your own image: the input file, and its upscaled version or a model to make one.

    Parameters
    ----------
    image_path
        The low-resolution input.
    sr_path
        Its upscaled version (any integer factor). ``None``: upscale the input with ``model``.
    model
        Registry name or :class:`~upscalekit.models.Upscaler` used when ``sr_path`` is None.
    max_side
        Analyse only the central crop of the input this large (LR pixels; the matching SR region
        is taken), so a CPU run stays short. ``None``: the whole image.

    Examples
    --------
    >>> diagnose_files("photo.png", model="realesrgan-x4plus")  # doctest: +SKIP
    """
    from upscalekit.diagnose._common import integer_scale
    from upscalekit.io import read_image

    lr_full = read_image(image_path)
    if sr_path is None:
        lr = center_crop(lr_full, max_side, multiple_of=8, square=False, align=8) if max_side else lr_full
        up = cached_model(model) if isinstance(model, str) else model
        return diagnose(lr, _run(up, lr, tile=None))
    sr_full = read_image(sr_path)
    s = integer_scale(lr_full.shape, sr_full.shape)
    if not max_side:
        return diagnose(lr_full, sr_full)
    h, w = lr_full.shape[:2]
    lr = center_crop(lr_full, max_side, multiple_of=8, square=False, align=8)
    ch, cw = lr.shape[:2]
    y, x = (h - ch) // 2 // 8 * 8, (w - cw) // 2 // 8 * 8
    return diagnose(lr, np.ascontiguousarray(sr_full[s * y:s * (y + ch), s * x:s * (x + cw)]))

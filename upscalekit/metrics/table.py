"""The metric registry and :func:`evaluate`: one tidy table, one row per candidate.

Every metric knows its direction (``lower_better``), so a plot or a ranking built from the
table never flips a sign: PSNR and SSIM are higher-better, LPIPS lower-better, and the
invented-detail energy has no better direction at all (``None``): it describes, it does not
judge. The conventions of each (channel, range, crop, rounding, window) are tabulated in
:mod:`upscalekit.metrics`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from upscalekit._checks import check_image, unknown_name
from upscalekit.metrics.consistency import invented_detail, lr_consistency
from upscalekit.metrics.fullref import gmsd, ms_ssim, psnr, ssim
from upscalekit.metrics.niqe import niqe
from upscalekit.metrics.noref import brisque
from upscalekit.metrics.perceptual import dists, lpips

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["METRICS", "MetricInfo", "evaluate"]

#: ``fn(reference, candidates, lr) -> scores``: one call scores every candidate (LPIPS batches them).
MetricFn = Callable[[np.ndarray | None, list[np.ndarray], np.ndarray | None], list[float]]


@dataclass(frozen=True)
class MetricInfo:
    """One metric of the registry.

    Attributes
    ----------
    name : str
        Column name in :func:`evaluate`'s table.
    needs_reference : bool
        Needs the ground-truth high-resolution image.
    lower_better : bool or None
        ``True`` if smaller is better, ``False`` if larger is better, ``None`` if descriptive only.
    range : tuple of float
        Possible values ``(low, high)``; ``inf`` where unbounded.
    fn : callable
        ``fn(reference, candidates, lr) -> list[float]``.
    needs_lr : bool
        Needs the low-resolution input the candidates were made from.
    default : bool
        Computed by :func:`evaluate` when no ``metrics=`` list is given (and its inputs are there).
    description : str
        One line for tables and widgets.
    """

    name: str
    needs_reference: bool
    lower_better: bool | None
    range: tuple[float, float]
    fn: MetricFn
    needs_lr: bool = False
    default: bool = True
    description: str = ""


def _per(f: Callable[..., float]) -> MetricFn:
    def run(ref: np.ndarray | None, cands: list[np.ndarray], lr: np.ndarray | None) -> list[float]:
        return [float(f(ref, c)) for c in cands]

    return run


def _noref(f: Callable[[np.ndarray], float]) -> MetricFn:
    def run(ref: np.ndarray | None, cands: list[np.ndarray], lr: np.ndarray | None) -> list[float]:
        return [float(f(c)) for c in cands]

    return run


def _lpips_fn(net: str) -> MetricFn:
    def run(ref: np.ndarray | None, cands: list[np.ndarray], lr: np.ndarray | None) -> list[float]:
        assert ref is not None
        return [float(s) for s in lpips(ref, cands, net=net)]  # type: ignore[union-attr]

    return run


def _dists_fn(ref: np.ndarray | None, cands: list[np.ndarray], lr: np.ndarray | None) -> list[float]:
    assert ref is not None
    return [float(s) for s in dists(ref, cands)]  # type: ignore[union-attr]


def _lr_fn(f: Callable[..., float]) -> MetricFn:
    def run(ref: np.ndarray | None, cands: list[np.ndarray], lr: np.ndarray | None) -> list[float]:
        assert lr is not None
        return [float(f(lr, c)) for c in cands]

    return run


_INF = float("inf")

#: Registry of metrics by name, in the column order :func:`evaluate` uses.
METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in (
        MetricInfo("psnr", True, False, (0.0, _INF), _per(psnr),
                   description="PSNR to the reference, RGB (dB)"),
        MetricInfo("psnr_y", True, False, (0.0, _INF), _per(lambda a, b: psnr(a, b, y_channel="basicsr")),
                   default=False, description="PSNR on unrounded BT.601 luma, BasicSR's test_y_channel (dB)"),
        MetricInfo("psnr_y_matlab", True, False, (0.0, _INF),
                   _per(lambda a, b: psnr(a, b, y_channel="matlab")), default=False,
                   description="PSNR on MATLAB's rounded uint8 Y, the classic SR tables (dB)"),
        MetricInfo("ssim", True, False, (-1.0, 1.0), _per(ssim), description="SSIM to the reference, RGB"),
        MetricInfo("ssim_y", True, False, (-1.0, 1.0), _per(lambda a, b: ssim(a, b, y_channel="basicsr")),
                   default=False, description="SSIM on unrounded BT.601 luma (BasicSR)"),
        MetricInfo("ssim_y_matlab", True, False, (-1.0, 1.0),
                   _per(lambda a, b: ssim(a, b, y_channel="matlab")), default=False,
                   description="SSIM on MATLAB's rounded uint8 Y"),
        MetricInfo("ms_ssim", True, False, (0.0, 1.0), _per(ms_ssim), default=False,
                   description="Multi-scale SSIM (Wang 2003), RGB channels averaged; needs ≥ 161 px"),
        # GMSD is the standard deviation of a similarity in (0, 1], so at most 0.5.
        MetricInfo("gmsd", True, True, (0.0, 0.5), _per(gmsd), default=False,
                   description="Gradient magnitude similarity deviation (Xue 2014), luma"),
        MetricInfo("lpips", True, True, (0.0, _INF), _lpips_fn("alex"),
                   description="LPIPS v0.1, AlexNet: learned perceptual distance"),
        MetricInfo("lpips_vgg", True, True, (0.0, _INF), _lpips_fn("vgg"), default=False,
                   description="LPIPS v0.1, VGG16"),
        # 1 − Σ(α·S_texture + β·S_structure) with Σα + Σβ = 1, S_texture ∈ [0, 1], S_structure ∈ [−1, 1].
        MetricInfo("dists", True, True, (0.0, 2.0), _dists_fn, default=False,
                   description="DISTS (Ding 2020): VGG16 texture/structure distance"),
        MetricInfo("lr_psnr", False, False, (0.0, _INF), _lr_fn(lr_consistency), needs_lr=True,
                   description="LR consistency: PSNR of the output shrunk back vs the input (dB)"),
        MetricInfo("invented_detail", False, None, (0.0, 1.0), _lr_fn(invented_detail), needs_lr=True,
                   description="RMS of detail beyond bicubic, above the input's Nyquist ([0, 1] units)"),
        MetricInfo("brisque", False, True, (-_INF, _INF), _noref(brisque),
                   description="BRISQUE no-reference naturalness (about 0-100 on photos)"),
        MetricInfo("niqe", False, True, (0.0, _INF), _noref(niqe), default=False,
                   description="NIQE no-reference distance to pristine statistics; needs ≥ 96×192 px"),
    )
}


def _hw(img: np.ndarray) -> str:
    return f"{img.shape[0]}×{img.shape[1]}"


def evaluate(
    reference: np.ndarray | None,
    candidates: Mapping[str, np.ndarray],
    *,
    lr: np.ndarray | None = None,
    metrics: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Score several candidates (model outputs) in one tidy table.

    Parameters
    ----------
    reference
        Ground-truth HR image, or ``None`` to compute only metrics that need no reference.
    candidates
        ``{name: image}``, each the reference's shape.
    lr
        The low-resolution input the candidates were made from; enables ``lr_psnr`` and
        ``invented_detail``.
    metrics
        Names from :data:`METRICS`; default: every ``default`` metric whose inputs were given.

    Returns
    -------
    pandas.DataFrame
        One row per candidate (column ``"candidate"``, in the given order), one float column per
        metric. ``df.attrs["lower_better"]`` maps each metric to ``True``/``False``/``None`` and
        ``df.attrs["range"]`` to its range, so rankings and plots read directions from the table.

    Raises
    ------
    KeyError
        Unknown metric name (with close matches).
    ValueError
        A candidate's size differs from the reference's, or a requested metric lacks its input.

    Examples
    --------
    >>> from upscalekit.resize import resize
    >>> df = evaluate(hr, {"bicubic": resize(lr, scale=4)}, lr=lr)  # doctest: +SKIP
    >>> df.attrs["lower_better"]["lpips"]  # doctest: +SKIP
    True
    """
    import pandas as pd

    if not isinstance(candidates, Mapping) or not candidates:
        raise ValueError(
            f"candidates must be a non-empty dict {{name: image}}, got {type(candidates).__name__}; "
            "e.g. evaluate(hr, {'bicubic': up1, 'realesrgan': up2}, lr=lr)"
        )
    if metrics is None:
        names = [n for n, m in METRICS.items() if m.default
                 and (reference is not None or not m.needs_reference) and (lr is not None or not m.needs_lr)]
    else:
        names = list(metrics)
        for n in names:
            if n not in METRICS:
                raise unknown_name("metric", n, METRICS)
            if METRICS[n].needs_reference and reference is None:
                raise ValueError(f"metric {n!r} needs a reference image; got reference=None")
            if METRICS[n].needs_lr and lr is None:
                raise ValueError(f"metric {n!r} needs the low-resolution input: pass lr=")
    if not names:
        raise ValueError("no metric to compute: pass a reference image, lr=, or metrics=")
    ref = None if reference is None else check_image(reference, "reference")
    low = None if lr is None else check_image(lr, "lr")
    cands: dict[str, np.ndarray] = {}
    for key, img in candidates.items():
        c = check_image(img, f"candidates[{key!r}]")
        if ref is not None and c.shape != ref.shape:
            raise ValueError(
                f"candidate {key!r} is {_hw(c)} (shape {c.shape}) but the reference is {_hw(ref)} "
                f"(shape {ref.shape}); full-reference metrics compare pixels one to one: upscale to the "
                "reference's size (e.g. outscale=) or crop the reference to match"
            )
        cands[str(key)] = c
    imgs = list(cands.values())
    data: dict[str, list[float] | list[str]] = {"candidate": list(cands)}
    for n in names:
        data[n] = METRICS[n].fn(ref, imgs, low)
    df = pd.DataFrame(data)
    df.attrs["lower_better"] = {n: METRICS[n].lower_better for n in names}
    df.attrs["range"] = {n: METRICS[n].range for n in names}
    return df

"""Measure flicker: warping error (Lai et al. 2018), tOF and tLP (TecoGAN), flicker heatmaps.

All three ask the same question: when the scene moves, does the output move with it, or
does it also change by itself? Per-frame super-resolution invents different detail in every
frame; after motion compensation that invented detail remains as a difference between
consecutive frames, which is what these measures pick up.

Units
-----
- warping error: mean squared RGB difference in [0, 1]² units over non-occluded pixels
  (Lai et al. report it in the same way, often ×10⁻³ in tables; we keep the raw value).
- tOF: mean per-pixel Euclidean norm (pixels, ×1) of the difference between the Farnebäck
  flow of consecutive output frames and of consecutive ground-truth frames, as TecoGAN's
  ``metrics.py`` computes it.
- tLP: ``|LPIPS(out[t-1], out[t]) − LPIPS(ref[t-1], ref[t])|`` ×100, as TecoGAN's
  ``metrics.py`` prints it (``tLPx100``), AlexNet LPIPS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from upscalekit.video.flow import Flows, compute_flows, estimate_flow, warp

__all__ = [
    "TemporalScore",
    "WarpingError",
    "consecutive_lpips",
    "flicker_heatmap",
    "flows_for",
    "tlp",
    "tof",
    "warping_error",
]


@dataclass(frozen=True, eq=False)
class WarpingError:
    """Warping error of a clip.

    Attributes
    ----------
    mean : float
        Average of ``per_frame`` (the number papers report).
    per_frame : numpy.ndarray
        One value per consecutive pair ``(t, t+1)``, length ``T-1``: the flicker curve.
    heatmap : numpy.ndarray
        H×W mean squared difference over time at each pixel, counting only the frames where
        the pixel was visible in both (0 where never visible).
    """

    mean: float
    per_frame: np.ndarray
    heatmap: np.ndarray


@dataclass(frozen=True, eq=False)
class TemporalScore:
    """A temporal metric: the clip average and one value per consecutive frame pair."""

    mean: float
    per_frame: np.ndarray


def flows_for(
    frames: Sequence[np.ndarray],
    *,
    motion_from: Sequence[np.ndarray] | None = None,
    flows: Flows | None = None,
    flow: str = "dis",
) -> Flows:
    """The flows a temporal measurement should use, at the size of ``frames``.

    Motion is estimated on ``motion_from`` when given (ground truth, or the input clip, at
    any size: the flow is rescaled to the output grid) so that a flickering output cannot
    bend the motion estimate in its own favour; otherwise on ``frames`` themselves.

    Examples
    --------
    >>> import numpy as np
    >>> fr = [np.zeros((32, 32, 3), np.float32)] * 2
    >>> flows_for(fr, motion_from=[np.zeros((16, 16, 3), np.float32)] * 2).forward[0].shape
    (32, 32, 2)
    """
    if flows is None:
        src = motion_from if motion_from is not None else frames
        if len(src) != len(frames):
            raise ValueError(f"motion_from has {len(src)} frames, the clip has {len(frames)}")
        flows = compute_flows(src, method=flow)
    if len(flows) != len(frames) - 1:
        raise ValueError(f"flows cover {len(flows) + 1} frames, the clip has {len(frames)}")
    size = frames[0].shape[:2]
    return flows if flows.forward[0].shape[:2] == size else flows.scaled_to(size)


def _pair_errors(frames: Sequence[np.ndarray], flows: Flows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h, w = frames[0].shape[:2]
    total = np.zeros((h, w), np.float64)
    count = np.zeros((h, w), np.float64)
    per = np.full(len(frames) - 1, np.nan)
    for t in range(len(frames) - 1):
        a = np.asarray(frames[t], np.float32)
        b = warp(np.asarray(frames[t + 1], np.float32), flows.forward[t])
        d = (a - b) ** 2
        d = d.mean(-1) if d.ndim == 3 else d
        m = flows.valid_forward[t]
        if m.any():
            per[t] = float(d[m].mean())
        total += d * m
        count += m
    return per, total, count


def warping_error(
    frames: Sequence[np.ndarray],
    *,
    motion_from: Sequence[np.ndarray] | None = None,
    flows: Flows | None = None,
    flow: str = "dis",
) -> WarpingError:
    """Warping error (Lai et al. 2018): how much each frame differs from the next one warped back.

    ``E = mean_t [ sum_x M_t(x) |O_t(x) − warp(O_{t+1}, F_t)(x)|² / sum_x M_t(x) ]`` with
    ``M_t`` the non-occlusion mask from a forward–backward flow check; squared differences
    are averaged over the RGB channels.

    Parameters
    ----------
    frames
        The output clip, HWC float frames of one size.
    motion_from
        Clip to estimate motion on (ground truth or input; any size). Default: ``frames``.
    flows
        Precomputed :class:`~upscalekit.video.flow.Flows` (any size; rescaled).
    flow
        Flow method when computing: ``"dis"`` or ``"farneback"``.

    Examples
    --------
    >>> import numpy as np
    >>> still = [np.full((32, 32, 3), 0.5, np.float32)] * 4
    >>> warping_error(still).mean
    0.0
    """
    fl = flows_for(frames, motion_from=motion_from, flows=flows, flow=flow)
    per, total, count = _pair_errors(frames, fl)
    heat = np.where(count > 0, total / np.maximum(count, 1), 0.0).astype(np.float32)
    return WarpingError(float(np.nanmean(per)) if np.isfinite(per).any() else float("nan"), per, heat)


def flicker_heatmap(
    frames: Sequence[np.ndarray],
    reference: Sequence[np.ndarray],
    *,
    flows: Flows | None = None,
    flow: str = "dis",
    vmax: float = 0.05,
) -> np.ndarray:
    """Per-pixel flicker in [0, 1]: temporal instability of ``frames`` beyond what ``reference`` has.

    Both clips are motion-compensated with the same flow (estimated on ``reference``); the
    per-pixel mean squared frame-to-frame difference of the reference (real change:
    lighting, occlusion edges, flow errors) is subtracted from the output's, and the root
    of the excess (an RMS intensity change per frame) is divided by ``vmax`` and clipped.
    With ``vmax=0.05`` a pixel is fully lit when it flickers by 5 % of full scale per frame
    more than the reference does.

    Parameters
    ----------
    frames
        Output clip.
    reference
        Ground-truth clip, or without one the input interpolated to the output size (it
        flickers only as much as the input does).
    vmax
        RMS excess that maps to 1.

    Examples
    --------
    >>> import numpy as np
    >>> still = [np.full((16, 16, 3), 0.5, np.float32)] * 3
    >>> float(flicker_heatmap(still, still).max())
    0.0
    """
    if len(reference) != len(frames):
        raise ValueError(f"reference has {len(reference)} frames, the clip has {len(frames)}")
    size = frames[0].shape[:2]
    if reference[0].shape[:2] != size:
        raise ValueError(
            f"reference frames are {reference[0].shape[:2]}, output frames {size}: interpolate the input "
            "to the output size first (upscalekit.resize)"
        )
    fl = flows_for(frames, motion_from=reference, flows=flows, flow=flow)
    _, t_out, count = _pair_errors(frames, fl)
    _, t_ref, _ = _pair_errors(reference, fl)
    excess = np.where(count > 0, (t_out - t_ref) / np.maximum(count, 1), 0.0)
    return np.clip(np.sqrt(np.maximum(excess, 0.0)) / vmax, 0.0, 1.0).astype(np.float32)


def _check_reference(frames: Sequence[np.ndarray], reference: Sequence[np.ndarray]) -> None:
    if len(reference) != len(frames):
        raise ValueError(f"reference has {len(reference)} frames, the clip has {len(frames)}")
    if reference[0].shape[:2] != frames[0].shape[:2]:
        raise ValueError(f"reference frames are {reference[0].shape[:2]}, "
                         f"output frames {frames[0].shape[:2]}")
    if len(frames) < 2:
        raise ValueError("temporal metrics need at least 2 frames")


def tof(
    frames: Sequence[np.ndarray], reference: Sequence[np.ndarray], *, crop_border: int = 0
) -> TemporalScore:
    """tOF (TecoGAN): difference between the motion of the output and the motion of the ground truth.

    ``mean_x |OF(out[t-1], out[t])(x) − OF(ref[t-1], ref[t])(x)|₂`` with Farnebäck flow on luma,
    in pixels (×1). Flicker and swimming texture make the output's flow wander from the
    true motion; a still output of a moving scene scores badly too.

    Examples
    --------
    >>> import numpy as np
    >>> fr = [np.full((32, 32, 3), 0.5, np.float32)] * 3
    >>> tof(fr, fr).mean
    0.0
    """
    _check_reference(frames, reference)
    per = []
    c = crop_border
    for t in range(1, len(frames)):
        fo = estimate_flow(frames[t - 1], frames[t], method="farneback")
        fg = estimate_flow(reference[t - 1], reference[t], method="farneback")
        d = np.sqrt(((fo - fg) ** 2).sum(-1))
        if c:
            d = d[c:-c, c:-c]
        per.append(float(d.mean()))
    arr = np.asarray(per)
    return TemporalScore(float(arr.mean()), arr)


def consecutive_lpips(frames: Sequence[np.ndarray], *, net: str = "alex") -> np.ndarray:
    """``LPIPS(frames[t-1], frames[t])`` for t = 1…T-1 (the perceptual change per frame)."""
    from upscalekit.metrics import lpips

    return np.asarray([float(lpips(frames[t - 1], frames[t], net=net)) for t in range(1, len(frames))])


def tlp(
    frames: Sequence[np.ndarray],
    reference: Sequence[np.ndarray],
    *,
    net: str = "alex",
    reference_distances: np.ndarray | None = None,
) -> TemporalScore:
    """tLP (TecoGAN): ``|LPIPS(out[t-1], out[t]) − LPIPS(ref[t-1], ref[t])|`` ×100.

    The perceptual change between consecutive output frames should equal the ground truth's:
    more means flicker, less means a frozen, temporally over-smoothed result.

    ``reference_distances`` (from :func:`consecutive_lpips` on ``reference``) saves recomputing the ground
    truth's side when several outputs are compared.

    Examples
    --------
    >>> tlp(out_frames, reference_frames).mean  # doctest: +SKIP
    0.73
    """
    _check_reference(frames, reference)
    d_out = consecutive_lpips(frames, net=net)
    d_ref = reference_distances if reference_distances is not None else consecutive_lpips(reference, net=net)
    per = np.abs(d_out - np.asarray(d_ref)) * 100.0
    arr = np.asarray(per)
    return TemporalScore(float(arr.mean()), arr)

"""Flow-guided temporal smoothing, and the price it charges in sharpness and fidelity.

``temporal_smooth`` is a recursive filter along motion: each output frame is blended with
the previous *smoothed* frame warped onto it, except where the flow check says the pixel
was not visible before (no ghost trails at disocclusions). Invented detail that changes
every frame averages out, which is the flicker going down; real detail that the flow
misaligns by a fraction of a pixel averages out too, which is the softness going up.
``smoothing_tradeoff`` measures both over a range of strengths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from upscalekit.pixels import luma
from upscalekit.video.flicker import consecutive_lpips, flows_for, tlp, tof, warping_error
from upscalekit.video.flow import Flows, warp

__all__ = ["clip_fidelity", "compare_arms", "sharpness", "smoothing_tradeoff", "temporal_smooth"]


def temporal_smooth(
    frames: Sequence[np.ndarray],
    *,
    strength: float = 0.5,
    flow: str = "dis",
    motion_from: Sequence[np.ndarray] | None = None,
    flows: Flows | None = None,
) -> list[np.ndarray]:
    """Blend every frame with the previous smoothed frame warped along the flow.

    ``s[0] = o[0]``; ``s[t] = o[t] + strength · M_t · (warp(s[t-1], F_t) − o[t])`` with ``F_t`` the
    flow from frame ``t`` to ``t-1`` and ``M_t`` its non-occlusion mask: occluded or newly
    revealed pixels keep the current frame unchanged.

    Parameters
    ----------
    frames
        Output clip, HWC float frames of one size.
    strength
        0 (off) … 1 (keep the first frame wherever it stays visible: frozen detail). An
        exponential moving average along motion with weight ``strength`` on the past.
    flow
        ``"dis"`` or ``"farneback"``.
    motion_from
        Clip to estimate motion on (e.g. the input, any size): flickering outputs give worse
        flow than the stable input does.
    flows
        Precomputed flows (any size).

    Examples
    --------
    >>> import numpy as np
    >>> fr = [np.full((16, 16, 3), v, np.float32) for v in (0.2, 0.4)]
    >>> round(float(temporal_smooth(fr, strength=0.5)[1].mean()), 2)
    0.3
    """
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be in [0, 1], got {strength}")
    out = [np.asarray(frames[0], np.float32)]
    if strength == 0.0 or len(frames) < 2:
        return [np.asarray(f, np.float32) for f in frames]
    fl = flows_for(frames, motion_from=motion_from, flows=flows, flow=flow)
    for t in range(1, len(frames)):
        cur = np.asarray(frames[t], np.float32)
        prev = warp(out[-1], fl.backward[t - 1])  # backward[t-1]: frame t → frame t-1
        m = fl.valid_backward[t - 1].astype(np.float32)
        w = (strength * m)[..., None] if cur.ndim == 3 else strength * m
        out.append(np.clip(cur + w * (prev - cur), 0.0, 1.0).astype(np.float32))
    return out


def sharpness(image: np.ndarray) -> float:
    """Mean gradient magnitude of the luma (Sobel, per pixel, [0,1] units): higher = crisper.

    Examples
    --------
    >>> import numpy as np
    >>> sharpness(np.full((8, 8, 3), 0.5, np.float32))
    0.0
    """
    import cv2

    img = np.asarray(image, np.float32)
    y = luma(img)
    gx = cv2.Sobel(y, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(y, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    return float(np.sqrt(gx**2 + gy**2).mean())


def clip_fidelity(
    frames: Sequence[np.ndarray], reference: Sequence[np.ndarray], *, lpips: bool = True
) -> dict[str, float]:
    """Mean PSNR (dB), LPIPS (AlexNet; NaN with ``lpips=False``) to ground truth and mean sharpness.

    Examples
    --------
    >>> import numpy as np
    >>> fr = [np.full((16, 16, 3), 0.5, np.float32)] * 2
    >>> clip_fidelity(fr, fr, lpips=False)["sharpness"]
    0.0
    """
    if len(reference) != len(frames):
        raise ValueError(f"reference has {len(reference)} frames, the clip has {len(frames)}")
    from upscalekit import metrics

    pairs = list(zip(reference, frames, strict=True))
    ps = [metrics.psnr(r, o) for r, o in pairs]
    lp = [float(metrics.lpips(r, o)) for r, o in pairs] if lpips else [float("nan")]
    return {
        "psnr": float(np.mean(ps)),
        "lpips": float(np.mean(lp)),
        "sharpness": float(np.mean([sharpness(o) for o in frames])),
    }


def smoothing_tradeoff(
    frames: Sequence[np.ndarray],
    *,
    reference: Sequence[np.ndarray] | None = None,
    strengths: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 0.9),
    motion_from: Sequence[np.ndarray] | None = None,
    smooth_motion_from: Sequence[np.ndarray] | None = None,
    flow: str = "dis",
    lpips: bool = True,
):  # noqa: ANN201 - pandas.DataFrame, imported lazily
    """Warping error, PSNR/LPIPS to ground truth and sharpness of ``temporal_smooth`` over strengths.

    ``reference`` is the ground-truth clip (PSNR/LPIPS need it). The measuring flow is computed
    once (on ``motion_from`` when given, else on ``reference``, else on ``frames``), so every row
    is measured against the same motion. The smoothing flow is estimated on ``smooth_motion_from``
    when given (e.g. the LR input: what a user without ground truth smooths with), else it is the
    measuring flow.

    Returns
    -------
    pandas.DataFrame
        One row per strength: ``strength, warping_error, psnr, lpips, sharpness``.

    Examples
    --------
    >>> smoothing_tradeoff(out, reference=clip.hr, motion_from=clip.lr).round(4)  # doctest: +SKIP
    """
    import pandas as pd

    guide = motion_from if motion_from is not None else (reference if reference is not None else frames)
    fl = flows_for(frames, motion_from=guide, flow=flow)
    sfl = fl if smooth_motion_from is None else flows_for(frames, motion_from=smooth_motion_from, flow=flow)
    rows = []
    for s in strengths:
        sm = temporal_smooth(frames, strength=float(s), flows=sfl)
        row: dict[str, float] = {"strength": float(s), "warping_error": warping_error(sm, flows=fl).mean}
        if reference is not None:
            row |= clip_fidelity(sm, reference, lpips=lpips)
        else:
            row["sharpness"] = float(np.mean([sharpness(o) for o in sm]))
        rows.append(row)
    return pd.DataFrame(rows)


def compare_arms(
    arms: Mapping[str, Sequence[np.ndarray]],
    *,
    reference: Sequence[np.ndarray],
    motion_from: Sequence[np.ndarray] | None = None,
    flow: str = "dis",
    temporal: bool = True,
    lpips: bool = True,
):  # noqa: ANN201 - pandas.DataFrame
    """One table for several upscaled versions of one clip: flicker and fidelity side by side.

    ``reference`` is the ground-truth clip. Columns: ``warping_error`` (motion from
    ``motion_from``, else ``reference``), ``tOF`` (px), ``tLPx100``
    (NaN without LPIPS), ``psnr`` (dB), ``lpips``, ``sharpness``; the ground truth itself is
    added as the first row so "how much flicker does the real scene have" is on screen too.

    Examples
    --------
    >>> compare_arms({"bicubic": bic, "per-frame GAN": gan}, reference=clip.hr)  # doctest: +SKIP
    """
    import pandas as pd

    fl = flows_for(reference, motion_from=motion_from if motion_from is not None else reference, flow=flow)
    ref_d = consecutive_lpips(reference) if temporal and lpips else None
    rows = []
    for name, frames in {"ground truth": reference, **arms}.items():
        row: dict[str, object] = {"arm": name, "warping_error": warping_error(frames, flows=fl).mean}
        if temporal:
            row["tOF"] = tof(frames, reference).mean
            row["tLPx100"] = (tlp(frames, reference, reference_distances=ref_d).mean if ref_d is not None
                              else float("nan"))
        row |= clip_fidelity(frames, reference, lpips=lpips)
        rows.append(row)
    return pd.DataFrame(rows).set_index("arm")

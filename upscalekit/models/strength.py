"""The one residual blend: dial what an upscaler added over bicubic up or down.

``bicubic + strength · (output − bicubic)``: strength 0 is plain interpolation (nothing invented),
1 the model's output, above 1 an exaggeration that makes the invented texture obvious. The same
blend serves :meth:`Upscaler.upscale(strength=) <upscalekit.models.Upscaler.upscale>` (on the raw
network output), the diagnosis fixes and scenarios, and the hallucination-budget widget (on a
finished output, so a slider never re-runs the network).
"""

from __future__ import annotations

import numpy as np

from upscalekit._checks import check_image

__all__ = ["apply_strength", "blend_residual"]


def blend_residual(base: np.ndarray, model: np.ndarray, strength: float, *, clip: bool = True) -> np.ndarray:
    """``base + strength · (model − base)``, clipped to [0, 1] unless ``clip=False``.

    Examples
    --------
    >>> import numpy as np
    >>> base, model = np.full((1, 1, 3), 0.2, np.float32), np.full((1, 1, 3), 0.6, np.float32)
    >>> round(float(blend_residual(base, model, 0.5)[0, 0, 0]), 4)
    0.4
    >>> float(blend_residual(base, model, 3.0)[0, 0, 0])
    1.0
    """
    if not np.isfinite(strength):
        raise ValueError(f"strength must be a finite number, got {strength!r}")
    if base.shape != model.shape:
        raise ValueError(f"base and model must have the same shape, got {base.shape} and {model.shape}")
    out = base + np.float32(strength) * (model - base)
    if clip:
        np.clip(out, 0.0, 1.0, out=out)
    return out.astype(np.float32, copy=False)


def apply_strength(lr: np.ndarray, sr: np.ndarray, strength: float) -> np.ndarray:
    """Re-weight a finished output against the bicubic of its input: ``bicubic + strength · (sr − bicubic)``.

    It equals the upscaler's own ``upscale(strength=)`` except where the network's raw output
    left [0, 1] (the finished output was clipped there).

    Examples
    --------
    >>> import numpy as np
    >>> from upscalekit.resize import resize
    >>> lr = np.random.default_rng(0).random((8, 8, 3)).astype(np.float32)
    >>> sr = resize(lr, scale=2)
    >>> bool(np.allclose(apply_strength(lr, sr, 0.0), resize(lr, scale=2)))
    True
    """
    from upscalekit.resize import resize

    lr = check_image(lr, "lr")
    sr = check_image(sr, "sr")
    if not np.isfinite(strength):
        raise ValueError(f"strength must be a finite number, got {strength!r}")
    if lr.ndim != sr.ndim:
        raise ValueError(f"lr and sr must have the same channel layout, got {lr.shape} and {sr.shape}")
    if strength == 1.0:  # exactly the output (the blend would round)
        return np.clip(sr, 0.0, 1.0).astype(np.float32)
    base = resize(lr, size=sr.shape[:2], method="bicubic", clip=False)
    return blend_residual(base, sr, strength)

"""Upscale a whole clip with any upscaler: per frame, or as a sequence when the model is a video model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["upscale_clip"]


def upscale_clip(
    frames: Sequence[np.ndarray], upscaler: Any, *, batch: int = 1, progress: bool = True, **kwargs: Any
) -> list[np.ndarray]:
    """Upscale every frame of a clip.

    Parameters
    ----------
    frames
        HWC float32 RGB frames.
    upscaler
        Anything with ``.upscale(image, **kwargs)`` (an :class:`upscalekit.models` Upscaler runs
        each frame independently: nothing ties frame ``t`` to ``t-1``, the source of flicker).
        Video models with ``.upscale_clip(frames)`` (e.g. :func:`load_basicvsr`) get the whole
        sequence. Upscalers with ``.upscale_batch(list)`` get ``batch`` frames at a time.
    batch
        Frames per call for upscalers that offer ``upscale_batch``.
    progress
        tqdm progress bar.
    kwargs
        Passed to ``upscale`` (e.g. ``tile=None``).

    Examples
    --------
    >>> from upscalekit.models import load_model  # doctest: +SKIP
    >>> sr = upscale_clip(clip.lr, load_model("realesr-animevideov3-x4"))  # doctest: +SKIP
    """
    from tqdm.auto import tqdm

    if hasattr(upscaler, "upscale_clip"):
        return list(upscaler.upscale_clip(list(frames), progress=progress))
    if not hasattr(upscaler, "upscale"):
        raise TypeError(
            f"upscaler must have an .upscale(image) method (an upscalekit.models Upscaler), got "
            f"{type(upscaler).__name__}"
        )
    name = getattr(upscaler, "name", type(upscaler).__name__)
    out: list[np.ndarray] = []
    if batch > 1 and hasattr(upscaler, "upscale_batch"):
        for s in tqdm(range(0, len(frames), batch), desc=name, disable=not progress):
            out.extend(upscaler.upscale_batch(list(frames[s: s + batch]), **kwargs))
        return out
    for f in tqdm(frames, desc=name, unit="frame", disable=not progress):
        out.append(upscaler.upscale(f, **kwargs))
    return out

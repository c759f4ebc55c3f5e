"""Study media: reference crops, their low-resolution inputs and every method's upscale of them.

A study compares methods on the *same* input, so each item is a reference crop, one
low-resolution version of it (bicubic downscale, the classic synthetic benchmark), and
one output per upscaler at the reference's size, ready for full-reference metrics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from upscalekit._checks import check_image
from upscalekit.degrade import make_lr
from upscalekit.pixels import as_rgb, center_crop

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["StudyMedia", "contact_sheet", "study_media"]


class _Upscaler(Protocol):  # the part of upscalekit.models.Upscaler a study needs
    name: str
    scale: int

    def upscale(self, image: np.ndarray, **kwargs: Any) -> np.ndarray: ...


@dataclass(frozen=True, eq=False)
class StudyMedia:
    """References, inputs and candidates of a study, keyed by item (and method).

    Attributes
    ----------
    references : dict
        ``references[item]`` — the ground-truth crop.
    lr : dict
        ``lr[item]`` — what every method was given.
    candidates : dict
        ``candidates[item][method]`` — outputs at the reference's size.
    """

    references: dict[str, np.ndarray]
    lr: dict[str, np.ndarray]
    candidates: dict[str, dict[str, np.ndarray]]


def study_media(
    images: Mapping[str, np.ndarray], upscalers: Sequence[_Upscaler], *, lr_size: int = 64, scale: int = 4
) -> StudyMedia:
    """Crop each image, downscale it ``scale``× (bicubic) and upscale it with every method.

    Parameters
    ----------
    images
        ``{item: full image}``; the central ``lr_size * scale`` square becomes the reference.
    upscalers
        Objects with ``.name`` and ``.upscale(image, outscale=...)`` (``upscalekit.models``
        Upscalers, including the interpolation baselines).
    """
    from upscalekit.resize import resize

    if not upscalers:
        raise ValueError(
            "no upscalers given; pass e.g. [load_model('bicubic'), load_model('realesrgan-x4plus')]"
        )
    names = [u.name for u in upscalers]
    if len(set(names)) != len(names):
        raise ValueError(f"upscaler names must be unique, got {names}")
    refs, lrs, cands = {}, {}, {}
    for item, img in images.items():
        img = check_image(img, str(item))
        # grayscale samples are shown as RGB so every panel looks alike
        ref = as_rgb(center_crop(img, lr_size * scale, multiple_of=scale))
        lr = make_lr(ref, scale)
        refs[item], lrs[item], cands[item] = ref, lr, {}
        for up in upscalers:
            out = up.upscale(lr, outscale=scale)
            if out.shape[:2] != ref.shape[:2]:  # guard against off-by-one output sizes
                out = resize(out, size=ref.shape[:2], method="bicubic")
            cands[item][up.name] = np.ascontiguousarray(out, dtype=np.float32)
    return StudyMedia(refs, lrs, cands)


def contact_sheet(media: StudyMedia) -> Figure:
    """One row per item: the input (nearest-enlarged), every method, and the reference."""
    from matplotlib.figure import Figure

    items = list(media.candidates)
    methods = list(next(iter(media.candidates.values())))
    cols = ["input (LR)"] + methods + ["reference"]
    fig = Figure(figsize=(2.2 * len(cols), 2.2 * len(items)))
    axes = fig.subplots(len(items), len(cols), squeeze=False)
    for r, item in enumerate(items):
        row = [media.lr[item]] + [media.candidates[item][m] for m in methods] + [media.references[item]]
        for c, img in enumerate(row):
            ax = axes[r, c]
            ax.imshow(np.clip(img, 0, 1), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(cols[c], fontsize=8)
            if c == 0:
                ax.set_ylabel(item)
    fig.tight_layout()
    return fig

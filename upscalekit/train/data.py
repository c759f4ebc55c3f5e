"""Training pairs from the kit's real photos: random HR patches, degraded on the fly, seeded.

Which photos: the kit's samples (:mod:`upscalekit.samples`, crops of scikit-image's bundled photos) are
split by whole photo, so no pixel of an evaluation photo, and no patch of the same scene, is ever seen
in training:

- :data:`HELD_OUT` (evaluation): ``astronaut`` (a colour face: skin, hair, teeth), ``chelsea`` (fur and
  whiskers) and ``gravel`` (stochastic texture): the three places where the losses' personalities show
  (plastic skin, invented strands, texture overload).
- :data:`EXCLUDED`: ``lfw-face``, a 4×4 mosaic of 24-pixel faces whose tile seams are no photo content.
- :data:`TRAIN_SAMPLES`: everything else (coffee, rocket, brick, grass, text, page, camera): wood, sky,
  metal, brick, grass, handwriting, print, a portrait with a tripod.

Every batch is a pure function of ``(seed, step)``, so a run is reproducible and resumable, and two
runs with the same seed see the same patches in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from upscalekit import samples
from upscalekit._checks import unknown_name
from upscalekit.degrade import make_lr
from upscalekit.pixels import center_crop

__all__ = ["DEGRADATIONS", "EXCLUDED", "HELD_OUT", "TRAIN_SAMPLES", "PatchSampler", "held_out_crops"]

HELD_OUT: tuple[str, ...] = ("astronaut", "chelsea", "gravel")
EXCLUDED: tuple[str, ...] = ("lfw-face",)
TRAIN_SAMPLES: tuple[str, ...] = tuple(n for n in samples.names() if n not in HELD_OUT + EXCLUDED)
#: How LR patches are made: the kit's bicubic (as :func:`upscalekit.samples.load`) or Real-ESRGAN's chain.
DEGRADATIONS: tuple[str, ...] = ("bicubic", "second_order")


def held_out_crops(size: int | None = 128, *, scale: int = 4) -> tuple[samples.Sample, ...]:
    """The evaluation photos (:data:`HELD_OUT`), centre-cropped to ``size`` HR pixels (None: whole).

    The LR is the bicubic downscale of the crop, as in training with ``degradation="bicubic"``.

    Examples
    --------
    >>> [s.hr.shape for s in held_out_crops(64)]
    [(64, 64, 3), (64, 64, 3), (64, 64, 3)]
    """
    out = []
    for name in HELD_OUT:
        s = samples.load(name, scale=scale)
        hr = s.hr
        if size is not None:
            if size % scale or size > min(hr.shape[:2]):
                raise ValueError(f"size must divide by {scale} and be at most {min(hr.shape[:2])}, "
                                 f"got {size}")
            hr = center_crop(hr, size, multiple_of=scale, align=scale)
        lr = make_lr(hr, scale)
        out.append(samples.Sample(name, hr, lr, {**s.meta, "crop_size": size}))
    return tuple(out)


class PatchSampler:
    """Seeded batches of ``(lr, hr)`` patches from the training photos.

    Parameters
    ----------
    names
        Sample names to draw from (default :data:`TRAIN_SAMPLES`; held-out names are refused).
    patch
        HR patch side in pixels (divisible by ``scale``).
    scale
        Downscale factor.
    degradation
        ``"bicubic"`` or ``"second_order"`` (:func:`upscalekit.degrade.second_order`, seeded per patch).
    seed
        Batches depend only on ``(seed, step)``.

    Examples
    --------
    >>> lr, hr = PatchSampler(patch=32).batch(0, 2)
    >>> lr.shape, hr.shape
    ((2, 8, 8, 3), (2, 32, 32, 3))
    """

    def __init__(self, names: Sequence[str] = TRAIN_SAMPLES, *, patch: int = 48, scale: int = 4,
                 degradation: str = "bicubic", seed: int = 0) -> None:
        leaked = sorted(set(names) & set(HELD_OUT))
        if leaked:
            raise ValueError(f"{leaked} are held back for evaluation (HELD_OUT); train on TRAIN_SAMPLES")
        if degradation not in DEGRADATIONS:
            raise unknown_name("degradation", degradation, DEGRADATIONS)
        if patch % scale or patch < 2 * scale:
            raise ValueError(f"patch must be a multiple of scale={scale} and at least {2 * scale}, "
                             f"got {patch}")
        self.names, self.patch, self.scale = tuple(names), int(patch), int(scale)
        self.degradation, self.seed = degradation, int(seed)
        self.images = [samples.load(n).hr for n in self.names]
        area = np.array([im.shape[0] * im.shape[1] for im in self.images], np.float64)
        self._p = area / area.sum()  # every training pixel equally likely, whatever its photo's size

    def batch(self, step: int, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch number ``step``: ``(lr, hr)`` as N×h×w×3 and N×H×W×3 float32 arrays."""
        from upscalekit import degrade

        rng = np.random.default_rng([self.seed, int(step)])
        p, s = self.patch, self.scale
        hrs, lrs = [], []
        for _ in range(size):
            img = self.images[rng.choice(len(self.images), p=self._p)]
            y = int(rng.integers(0, img.shape[0] - p + 1))
            x = int(rng.integers(0, img.shape[1] - p + 1))
            hr = img[y:y + p, x:x + p]
            k = int(rng.integers(8))  # one of the 8 flips/rotations: photos have no preferred orientation
            hr = np.ascontiguousarray(np.rot90(hr[:, ::-1] if k >= 4 else hr, k % 4))
            if self.degradation == "bicubic":
                lr = make_lr(hr, s)
            else:
                lr, _ = degrade.second_order(hr, scale=s, seed=int(rng.integers(2**31 - 1)))
            hrs.append(hr)
            lrs.append(lr)
        return np.stack(lrs), np.stack(hrs)

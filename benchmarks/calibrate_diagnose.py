"""Calibration and timing of upscalekit.diagnose on the kit's sample photos.

Prints, for 512 px SR images (128 px LR, 4×), each detector's score and run time
on negatives (bicubic; the ground truth itself as "SR") and on a positive each,
the numbers the thresholds in ``upscalekit/diagnose/detectors.py`` were set from.

Run: ``python benchmarks/calibrate_diagnose.py``
"""

from __future__ import annotations

import time

import numpy as np
import skimage.data
from scipy import ndimage

from upscalekit.diagnose import DETECTORS
from upscalekit.io import jpeg_roundtrip, to_float
from upscalekit.resize import resize


def photo(name: str) -> np.ndarray:
    img = to_float(getattr(skimage.data, name)())[:512, :512]
    return np.repeat(img[..., None], 3, axis=2) if img.ndim == 2 else np.ascontiguousarray(img)


def usm(img: np.ndarray, amount: float, sigma: float) -> np.ndarray:
    blur = ndimage.gaussian_filter(img, (sigma, sigma, 0))
    return np.clip(img + amount * (img - blur), 0, 1).astype(np.float32)


def main() -> None:
    s = 4
    for name in ("astronaut", "camera", "coffee", "brick", "chelsea", "grass"):
        hr = photo(name)
        hr = hr[: hr.shape[0] // 32 * 32, : hr.shape[1] // 32 * 32]
        lr = resize(hr, scale=1 / s)
        bic = resize(lr, scale=s)
        noisy = np.clip(lr + np.random.default_rng(0).normal(0, 0.05, lr.shape), 0, 1).astype(np.float32)
        j20 = jpeg_roundtrip(lr, 20)
        cases = {"bicubic": (lr, bic), "truth": (lr, hr), "usm1": (lr, usm(bic, 1.0, 4.0)),
                 "blur2": (lr, ndimage.gaussian_filter(bic, (2, 2, 0))),
                 "noisy+usm2": (noisy, usm(resize(noisy, scale=s), 2.0, 2.0)),
                 "jpeg20+nearest": (j20, resize(j20, scale=s, method="nearest"))}
        for case, (a, b) in cases.items():
            cells = []
            for det, fn in DETECTORS.items():
                t = time.perf_counter()
                f = fn(a, b)
                ms = 1000 * (time.perf_counter() - t)
                cells.append(f"{det}={f.score:.4g}{'!' if f.flagged else ''}({ms:.0f}ms)")
            print(f"{name:10s} {case:15s} " + " ".join(cells))


if __name__ == "__main__":
    main()

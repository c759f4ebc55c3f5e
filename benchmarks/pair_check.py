"""Measure the diagnose pair check (does the SR belong to the LR?) on matching and mismatched pairs.

Matching pairs: every case of the validation set (``upscalekit.diagnose.validation.build``: real model
outputs, interpolations and simulated artifacts on crops of the scikit-image photos; model outputs are
cached on disk). Mismatched pairs, built from the same cases: the LR of one photo with the SR of another
photo's case of the same family and size (a different image, or two files swapped), and each SR shifted
by 1-4 LR pixels in four directions, reflect-padded (an SR of a differently-cropped input). Prints, per
split, what ``upscalekit.diagnose._common.check_pair`` measured: the lowest correlation and PSNR and the
highest shift gain over matching pairs, the highest correlation over other-photo pairs, the lowest shift
gain over shifted pairs, and how many of each the check refuses. The cut-offs in ``_common.py`` were
chosen on the calibration split; the held-out split reports them.

Run: ``nice -n 10 python benchmarks/pair_check.py``
"""

from __future__ import annotations

import math

import numpy as np

from upscalekit.diagnose import validation
from upscalekit.diagnose._common import check_pair
from upscalekit.pixels import luma

SHIFTS = (1, 2, 3, 4)  # LR pixels


def _shift(img: np.ndarray, dy: int, dx: int) -> np.ndarray:
    h, w = img.shape[:2]
    pad = np.pad(img, ((abs(dy), abs(dy)), (abs(dx), abs(dx)), (0, 0)), mode="reflect")
    return np.ascontiguousarray(pad[abs(dy) + dy:abs(dy) + dy + h, abs(dx) + dx:abs(dx) + dx + w])


def _fmt(values: list[float], worst: str) -> str:
    v = [x for x in values if not math.isnan(x)]
    if not v:
        return "n/a"
    return f"{(min(v) if worst == 'min' else max(v)):.3f}"


def report(split: str, sources: tuple[str, ...]) -> None:
    cases = validation.build(sources=sources)
    s = validation.SCALE
    real = [(c.id, check_pair(luma(c.lr), luma(c.sr))) for c in cases]
    by_size: dict[tuple[int, ...], list[validation.Case]] = {}
    for c in cases:
        by_size.setdefault(c.lr.shape, []).append(c)
    other = [(f"{c.id} | {o.id}", check_pair(luma(c.lr), luma(o.sr)))
             for group in by_size.values() for c in group for o in group
             if o.source != c.source and o.family == c.family]
    print(f"\n{split} ({', '.join(sources)}): {len(real)} matching pairs")
    refused = [i for i, r in real if not r.ok]
    corr, gain, psnr = ([getattr(r, k) for _, r in real] for k in ("correlation", "shift_gain", "psnr"))
    print(f"  matching: correlation min {_fmt(corr, 'min')}, shift gain max {_fmt(gain, 'max')}, PSNR min "
          f"{_fmt(psnr, 'min')} dB; refused {len(refused)}/{len(real)} {refused}")
    print(f"  another photo's SR: correlation max {_fmt([r.correlation for _, r in other], 'max')}; "
          f"refused {sum(not r.ok for _, r in other)}/{len(other)}")
    for d in SHIFTS:
        sh = [(c.id, check_pair(luma(c.lr), luma(_shift(c.sr, dy * s, dx * s))))
              for c in cases for dy, dx in ((0, d), (d, 0), (-d, d), (-d, -d))]
        missed = [i for i, r in sh if r.ok]
        print(f"  SR shifted {d} LR px: shift gain min {_fmt([r.shift_gain for _, r in sh], 'min')}; refused "
              f"{len(sh) - len(missed)}/{len(sh)}" + (f"; passed: {sorted(set(missed))}" if missed else ""))


def main() -> None:
    report("calibration", validation.CALIBRATION_SOURCES)
    report("held-out", validation.HELD_OUT_SOURCES)


if __name__ == "__main__":
    main()

"""Choose the detectors' thresholds on the calibration photos of the validation set (only those).

Prints, per detector, the scores of the labelled calibration positives and
negatives and the threshold :func:`upscalekit.diagnose.validation.calibrate`
picks (at most 2 % of the calibration negatives above it, then the lowest
threshold that keeps the best recall). The shipped constants in ``upscalekit/diagnose/detectors.py``
are these numbers; ``benchmarks/bench_diagnose.py`` then reports them on the
held-out photos.

Run: ``nice -n 10 python benchmarks/calibrate_diagnose.py``
"""

from __future__ import annotations

import numpy as np

from upscalekit.diagnose import DETECTORS, validation


def main() -> None:
    rows = validation.score_cases(validation.build(split="calibration", progress=True))
    thresholds = validation.calibrate(rows)
    for d in DETECTORS:
        judged = [r for r in rows if r["findings"][d].judged]
        pos = [r["findings"][d].score for r in judged if r["case"].label(d) is True]
        neg = [r["findings"][d].score for r in judged if r["case"].label(d) is False]
        nj = sum(not r["findings"][d].judged for r in rows if r["case"].label(d) is not None)
        print(f"\n{d}: {len(pos)} positives, {len(neg)} negatives judged, {nj} not judged")
        if pos:
            print(f"  positives: min {min(pos):.4g}  median {np.median(pos):.4g}")
        if neg:
            print(f"  negatives: max {max(neg):.4g}  median {np.median(neg):.4g}")
        print(f"  shipped {DETECTORS[d].threshold:.4g}, calibrated {thresholds.get(d)}")


if __name__ == "__main__":
    main()

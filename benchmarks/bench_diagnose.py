"""Held-out accuracy of every detector on the kit's labelled validation set.

Builds the set (``upscalekit.diagnose.validation``: real photos, real models,
labelled by construction and checked against ground truth), chooses each
detector's threshold on the **calibration** photos only
(``validation.calibrate``), and prints, on the **held-out** photos:

* per detector, recall and false-positive rate at the shipped thresholds
  (the constants in ``upscalekit/diagnose/detectors.py``), and at the
  thresholds calibrated in this run (they should agree);
* the confusion table: on which true artifact each detector fires.

Model outputs are cached under ``$UPSCALEKIT_CACHE_DIR/diagnose-validation``;
the first run takes about ten CPU minutes (real models on every case, Tesseract
reading every text item), later ones about two.

Run: ``nice -n 10 python benchmarks/bench_diagnose.py [--json results.json]``
"""

from __future__ import annotations

import argparse
import json
import time

from upscalekit.diagnose import DETECTORS, validation


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=str(validation.benchmark_path()),
                    help="results file (default: in the kit cache, where notebook 02 reads it)")
    ap.add_argument("--list", action="store_true", help="list every held-out miss and false alarm")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    cal = validation.score_cases(validation.build(split="calibration", progress=True))
    held = validation.score_cases(validation.build(split="held-out", progress=True))
    print(f"built and scored {len(cal)} calibration and {len(held)} held-out cases in "
          f"{time.perf_counter() - t0:.0f} s (sources: calibration "
          f"{', '.join(validation.CALIBRATION_SOURCES)}; held-out "
          f"{', '.join(validation.HELD_OUT_SOURCES)})\n")
    calibrated = validation.calibrate(cal)
    print(f"{'detector':20s} {'shipped':>9s} {'calibrated':>10s}")
    for d in DETECTORS:
        c = calibrated.get(d)
        print(f"{d:20s} {DETECTORS[d].threshold:9.4g} {c if c is None else format(c, '10.4g')}")
    res_cal = validation.evaluate(cal)
    res = validation.evaluate(held)
    res_recal = validation.evaluate(held, calibrated)
    print("\ncalibration split, shipped thresholds")
    print(validation.format_table(res_cal, validation.confusion(cal)).split("\n\n")[0])
    print("\nHELD-OUT split, shipped thresholds")
    print(validation.format_table(res, validation.confusion(held)))
    print("\nheld-out at this run's calibrated thresholds")
    print(validation.format_table(res_recal, validation.confusion(held)).split("\n\n")[0])
    if args.list:
        for d, r in res.items():
            print(f"\n{d}: missed {r['missed']}\n{' ' * len(d)}  false alarms {r['false_alarms']}")
    if args.json:
        from pathlib import Path

        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w") as fh:
            json.dump({"held_out": res, "calibration": res_cal, "calibrated_thresholds": calibrated,
                       "shipped_thresholds": {d: DETECTORS[d].threshold for d in DETECTORS},
                       "confusion": validation.confusion(held)}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``upscalekit evaluate``: images × models → a metrics table (CSV + Parquet), a summary, contact sheets."""

from __future__ import annotations

import argparse
from typing import Any

from upscalekit.cli._common import device_arg, output_dir_arg, positive_int, print_error, tile_arg


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from upscalekit.batch.experiment import evaluate_models

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    baselines = [b.strip() for b in args.baselines.split(",") if b.strip()]
    reference: str | None = {"make-lr": "make-lr", "none": None}.get(args.reference, args.reference)
    try:
        ev = evaluate_models(args.inputs, models, out_dir=args.output, scale=args.scale, reference=reference,
                             baselines=baselines, diagnose=args.diagnose, sheets=not args.no_sheets,
                             n_boot=args.n_boot, seed=args.seed, device=args.device, tile=args.tile,
                             workers=args.workers, scheduler=args.scheduler, progress=not args.no_progress)
    except (KeyError, FileNotFoundError, ValueError, RuntimeError, ImportError) as err:
        print_error(str(err).strip('"'))
        return 2
    import pandas as pd

    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.precision", 4):
        cols = ["model", "metric", "n", "mean", "ci_low", "ci_high"]
        if "diff_mean" in ev.summary:
            cols += ["diff_mean", "diff_ci_low", "diff_ci_high"]
        print(ev.summary[cols].to_string(index=False))
    ci = int(round(ev.summary.attrs["confidence"] * 100))
    print(f"{ci} % bootstrap intervals over {ev.table['image'].nunique()} image(s); diff = model − "
          f"{ev.summary['baseline'].iloc[0]} on the same images")
    print(f"wrote {', '.join(str(v) for k, v in ev.files.items() if k != 'sheets')} and "
          f"{len(ev.files.get('sheets', []))} contact sheet(s)")
    for image, err in ev.errors.items():
        print_error(f"{image}: failed: {err}")
    if ev.errors:
        print_error(f"{len(ev.errors)} image(s) failed")
    return 1 if ev.errors else 0


def register(sub: Any) -> None:
    """Add the ``evaluate`` subcommand to the parser's subparsers."""
    e = sub.add_parser("evaluate", help="A/B table: images × models → metrics CSV/Parquet, summary, sheets")
    e.add_argument("inputs", nargs="+", help="image files, folders (recursive), globs or .txt manifests")
    e.add_argument("-m", "--models", required=True, help="comma-separated model names or weight files")
    e.add_argument("-o", "--output", required=True, type=output_dir_arg,
                   help="folder for metrics.csv, metrics.parquet, summary.csv, sheets/")
    e.add_argument("--baselines", default="bicubic", help="comma-separated interpolation baselines")
    e.add_argument("--scale", type=positive_int, default=4, help="factor every model is brought to (4)")
    e.add_argument("--reference", default="make-lr",
                   help="'make-lr' (inputs are ground truth, shrunk first), a folder of ground truths, "
                        "or 'none' (no-reference metrics only)")
    e.add_argument("--diagnose", action="store_true", help="add the artifact detectors' flags")
    e.add_argument("--no-sheets", action="store_true", help="no contact sheets")
    e.add_argument("--n-boot", type=positive_int, default=2000, help="bootstrap resamples (default 2000)")
    e.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    e.add_argument("--tile", type=tile_arg, default="auto", help="'auto', 'none' or a tile size in pixels")
    e.add_argument("--device", type=device_arg, default=None)
    e.add_argument("--workers", type=positive_int, default=None, help="local Dask cluster, N workers")
    e.add_argument("--scheduler", default=None, help="run on an existing Dask scheduler, tcp://HOST:PORT")
    e.add_argument("--no-progress", action="store_true")
    e.set_defaults(func=_cmd_evaluate)

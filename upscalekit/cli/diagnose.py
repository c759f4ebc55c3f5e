"""``upscalekit diagnose``: judge one upscaled output against its input (and ground truth, if any)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from upscalekit.cli._common import error_line, output_dir_arg, print_error


def _cmd_diagnose(args: argparse.Namespace) -> int:
    from upscalekit.diagnose import diagnose
    from upscalekit.diagnose.html_report import write_html
    from upscalekit.diagnose.report import basis_line
    from upscalekit.io import read_image

    try:
        lr = read_image(args.lr)
        sr = read_image(args.sr)
        hr = read_image(args.hr) if args.hr else None
        report = diagnose(lr, sr, reference=hr, detectors=args.detectors, check_pair=not args.no_pair_check)
    except (OSError, ValueError, KeyError) as err:  # bad files, sizes or pair; unknown names
        print_error(error_line(err))
        return 2
    out = Path(args.output)
    try:
        report.save(out)
        page = write_html(report, out / "report.html", lr=lr, title=f"Diagnosis of {Path(args.sr).name}")
    except OSError as err:
        print_error(f"cannot write the report to {out}: {err}")
        return 2
    print(basis_line(report.has_reference))
    for f in report.findings:
        mark = {"flagged": "FLAGGED   ", "ok": "ok        ", "not judged": "not judged"}[f.status]
        print(f"{mark} {f.name:20s} {f.score:8.4g} (threshold {f.threshold:.4g})  {f.explanation}")
    print(f"flagged: {', '.join(report.flagged) or 'none'}")
    print(f"report: {page} (overlays and report.json in {out})")
    return 0


def register(sub: Any) -> None:
    """Add the ``diagnose`` subcommand to the parser's subparsers."""
    d = sub.add_parser("diagnose", help="find halos, seams, alphabet soup… in one upscaled output",
                       description="Run the artifact detectors on one upscaled image; writes heatmap "
                                   "overlays, report.json and a one-page report.html to the output folder.")
    d.add_argument("lr", help="the low-resolution input the upscaler saw")
    d.add_argument("sr", help="its upscaled output (the input's size times an integer)")
    d.add_argument("--hr", default=None,
                   help="optional ground truth at the output's size: adds readings against it for "
                        "information; verdicts are always measured against the input (as calibrated)")
    d.add_argument("-o", "--output", required=True, type=output_dir_arg, help="output folder for the report")
    d.add_argument("--detectors", nargs="+", default=None, help="only these detectors (default: all)")
    d.add_argument("--no-pair-check", action="store_true",
                   help="diagnose even an SR that does not look like an upscale of this LR (another image or "
                        "crop); for deliberate experiments only")
    d.set_defaults(func=_cmd_diagnose)

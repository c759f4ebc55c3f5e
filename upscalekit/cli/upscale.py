"""``upscalekit upscale``: upscale files, folders (recursively), globs or manifests into a mirrored tree.

Each output's name encodes the settings that made it, and a JSON sidecar records them with the
input's sha256; a rerun skips what is already done (``--force`` redoes it). ``--workers N`` runs on
a local Dask cluster, ``--scheduler tcp://HOST:PORT`` on an existing one.
"""

from __future__ import annotations

import argparse
from typing import Any

from upscalekit.cli._common import (
    device_arg,
    finite_float,
    nonneg_int,
    output_dir_arg,
    positive_float,
    positive_int,
    print_error,
    tile_arg,
)


def _cmd_upscale(args: argparse.Namespace) -> int:
    from upscalekit.batch import JobResult, upscale_batch

    def show(r: JobResult) -> None:
        if r.status == "done":
            print(f"{r.job.input} → {r.job.output} ({r.seconds:.1f} s)")
        elif r.status == "failed":
            print_error(f"{r.job.input}: failed: {r.error}")

    try:
        report = upscale_batch(
            args.inputs, args.output, model=args.model, outscale=args.outscale, tile=args.tile,
            tile_overlap=args.tile_overlap, strength=args.strength, precision=args.precision,
            device=args.device, force=args.force, workers=args.workers, scheduler=args.scheduler,
            progress=False if args.no_progress else ("always" if args.progress else True), on_result=show,
        )
    except (KeyError, FileNotFoundError, ValueError, RuntimeError, ImportError) as err:
        print_error(str(err).strip('"'))
        return 2
    if args.workers is not None or args.scheduler is not None:  # cluster results arrive together
        for r in report.results:
            show(r)
    if not report.results:
        print_error("no input images found")
        return 2
    c = report.counts
    print(f"{c['done']} written, {c['skipped']} already done (skipped), {c['failed']} failed "
          f"in {report.seconds:.1f} s → {args.output}")
    if c["failed"]:
        print_error(f"{c['failed']} of {len(report.results)} file(s) failed")
    return 1 if c["failed"] else 0


def register(sub: Any) -> None:
    """Add the ``upscale`` subcommand to the parser's subparsers."""
    u = sub.add_parser("upscale", help="upscale images, folders, globs or manifests into a mirrored tree")
    u.add_argument("inputs", nargs="+",
                   help="image files, folders (recursive), globs, or .txt manifests (one input per line)")
    u.add_argument("-m", "--model", default="realesrgan-x4plus",
                   help="model name (see `upscalekit models`) or a weight file (.pth, .safetensors, .ckpt, "
                        "ncnn .param) of any supported architecture")
    u.add_argument("-o", "--output", required=True, type=output_dir_arg,
                   help="output folder (the input tree is mirrored in it)")
    u.add_argument("--outscale", type=positive_float, default=None,
                   help="final factor (default: the model's scale)")
    u.add_argument("--tile", type=tile_arg, default="auto", help="'auto', 'none' or a tile size in pixels")
    u.add_argument("--tile-overlap", type=nonneg_int, default=None, help="tile overlap in input pixels")
    u.add_argument("--strength", type=finite_float, default=1.0,
                   help="0 = bicubic, 1 = model, >1 exaggerates")
    u.add_argument("--precision", default="auto", choices=("auto", "fp32", "fp16", "bf16"),
                   help="network precision (auto: fp16/bf16 on CUDA where supported; on a CPU, bf16 "
                        "where it is "
                        "native (AVX512_BF16/AMX), else fp32)")
    u.add_argument("--device", type=device_arg, default=None,
                   help="cpu, cuda, cuda:1… (default: CUDA if available)")
    u.add_argument("--force", action="store_true", help="redo outputs whose sidecar already matches")
    u.add_argument("--workers", type=positive_int, default=None,
                   help="run on a local Dask cluster with N worker processes (needs upscalekit[distributed])")
    u.add_argument("--scheduler", default=None, help="run on an existing Dask scheduler, tcp://HOST:PORT")
    u.add_argument("--no-progress", action="store_true", help="no progress bar")
    u.add_argument("--progress", action="store_true",
                   help="always show the bars with ETA inside each file (default: on a terminal or in a "
                        "notebook, for files predicted to take over 2 s)")
    u.set_defaults(func=_cmd_upscale)

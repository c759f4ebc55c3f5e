"""``upscalekit upscale``: upscale image files or folders."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from upscalekit.cli._common import expand, print_error, tile_arg


def _cmd_upscale(args: argparse.Namespace) -> int:
    from upscalekit.io import read_image, write_image
    from upscalekit.models import load_model

    try:
        model = load_model(args.model, device=args.device)
    except (KeyError, FileNotFoundError, ValueError) as err:
        print_error(str(err).strip('"'))
        return 2
    out_dir = Path(args.output)
    files = expand(args.inputs)
    if not files:
        print_error("no input images found")
        return 2
    failed = 0
    for f in files:
        try:
            img, info = read_image(f, mode="keep", with_info=True)
            t0 = time.perf_counter()
            out = model.upscale(img, outscale=args.outscale, tile=args.tile, tile_overlap=args.tile_overlap,
                                strength=args.strength)
            dest = out_dir / f"{f.stem}_{model.name}.png"
            write_image(dest, out, bit_depth=16 if info.bit_depth == 16 else 8)
            print(f"{f} → {dest} ({out.shape[1]}×{out.shape[0]}, {time.perf_counter() - t0:.1f} s)")
        except Exception as err:  # noqa: BLE001 - report and go on with the next file
            failed += 1
            print_error(f"{f}: skipped ({type(err).__name__}: {err})")
    if failed:
        print_error(f"{failed} of {len(files)} file(s) failed")
    return 1 if failed else 0


def register(sub: Any) -> None:
    """Add the ``upscale`` subcommand to the parser's subparsers."""
    u = sub.add_parser("upscale", help="upscale images or folders of images")
    u.add_argument("inputs", nargs="+", help="image files or folders")
    u.add_argument("-m", "--model", default="realesrgan-x4plus", help="model name (see `upscalekit models`)")
    u.add_argument("-o", "--output", required=True, help="output folder")
    u.add_argument("--outscale", type=float, default=None, help="final factor (default: the model's scale)")
    u.add_argument("--tile", type=tile_arg, default="auto", help="'auto', 'none' or a tile size in pixels")
    u.add_argument("--tile-overlap", type=int, default=None, help="tile overlap in input pixels")
    u.add_argument("--strength", type=float, default=1.0, help="0 = bicubic, 1 = model, >1 exaggerates")
    u.add_argument("--device", default=None, help="cpu, cuda, cuda:1… (default: CUDA if available)")
    u.set_defaults(func=_cmd_upscale)

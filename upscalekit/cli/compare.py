"""``upscalekit compare``: a side-by-side grid of several upscalers with zoom crops."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from upscalekit.cli._common import crop_arg, device_arg, error_line, positive_int, print_error
from upscalekit.pixels import Box, as_rgb

__all__ = ["Panel", "compare_grid"]


@dataclass(frozen=True, eq=False)
class Panel:
    """One column of a comparison grid: a label, the image and an optional score line."""

    label: str
    image: np.ndarray
    note: str = ""


def compare_grid(panels: Sequence[Panel], *, crop: Box | None = None, zoom_px: int = 256,
                 title: str = "") -> Any:
    """Side-by-side grid: full images on top, the same zoomed crop below (matplotlib Figure).

    Parameters
    ----------
    panels
        Images of the same size (put the LR input, nearest-upscaled, first to show the pixels).
    crop
        The zoom window (a :class:`~upscalekit.pixels.Box` in output pixels); default the centre quarter.

    Examples
    --------
    >>> import numpy as np
    >>> fig = compare_grid([Panel("a", np.zeros((32, 32, 3), np.float32))])
    >>> len(fig.axes)
    2
    """
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):  # notebooks keep inline
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    h, w = panels[0].image.shape[:2]
    if crop is None:
        size = max(8, min(h, w) // 4)
        crop = Box((h - size) // 2, (w - size) // 2, (h - size) // 2 + size, (w - size) // 2 + size)
    if crop.bottom > h or crop.right > w:
        raise ValueError(f"crop y,x,size = {crop.top},{crop.left},{crop.height} falls outside the {w}×{h} "
                         f"output (it needs y + size ≤ {h} and x + size ≤ {w}); pick a smaller or nearer "
                         "window")
    y, x, bh, bw = crop.top, crop.left, crop.height, crop.width
    n = len(panels)
    fig, axes = plt.subplots(2, n, figsize=(3.2 * n, 6.8), squeeze=False)
    for i, p in enumerate(panels):
        img = as_rgb(p.image)
        axes[0, i].imshow(np.clip(img, 0, 1), interpolation="nearest")
        axes[0, i].add_patch(Rectangle((x, y), bw, bh, fill=False, edgecolor="yellow", linewidth=1.5))
        axes[0, i].set_title(p.label + (f"\n{p.note}" if p.note else ""), fontsize=9)
        axes[1, i].imshow(np.clip(img[crop.slices], 0, 1), interpolation="nearest")
        axes[1, i].set_title(f"zoom {bw}×{bh} px", fontsize=8)
        for ax in axes[:, i]:
            ax.set_xticks([])
            ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _compare_one(path: Path, models: list[Any], *, hr: bool, scale: int, dest: Path,
                 crop: Box | None) -> dict[str, Any]:
    import matplotlib.pyplot as plt

    from upscalekit.degrade import make_lr
    from upscalekit.io import read_image
    from upscalekit.metrics import psnr
    from upscalekit.resize import resize

    img = read_image(path)
    if hr:
        h, w = img.shape[0] // scale * scale, img.shape[1] // scale * scale
        ref = img[:h, :w]
        lr = make_lr(ref, scale)
    else:
        ref, lr = None, img
    target = (lr.shape[0] * scale, lr.shape[1] * scale)
    panels = [Panel(f"input ({lr.shape[1]}×{lr.shape[0]}, pixels)",
                    resize(lr, size=target, method="nearest"))]
    scores: dict[str, Any] = {}
    for m in models:
        t0 = time.perf_counter()
        out = m.upscale(lr, outscale=scale)
        secs = time.perf_counter() - t0
        note = f"{secs:.1f} s"
        entry: dict[str, Any] = {"seconds": round(secs, 3)}
        if ref is not None:
            entry["psnr_db"] = round(psnr(ref, out), 3)
            note = f"PSNR {entry['psnr_db']:.2f} dB · {note}"
        scores[m.name] = entry
        panels.append(Panel(m.name, out, note))
    if ref is not None:
        panels.append(Panel("ground truth", ref))
    title = f"{path.name}: ×{scale}" + (" from a bicubic-downscaled ground truth" if hr else "")
    fig = compare_grid(panels, crop=crop, title=title)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(dest, dpi=110)
    plt.close(fig)
    return scores


def _cmd_compare(args: argparse.Namespace) -> int:
    from upscalekit.models import load_model

    names = [n.strip() for n in args.models.split(",") if n.strip()]
    try:
        models = [load_model(n, device=args.device) for n in names]
    except (KeyError, FileNotFoundError, ValueError) as err:
        print_error(str(err).strip('"'))
        return 2
    from upscalekit.batch.plan import find_inputs

    out = Path(args.output)
    single = out.suffix.lower() == ".png"
    # the same walk as `upscale` and `evaluate`: folders recursively, globs, manifests
    sources = find_inputs(args.inputs, exclude=None if single else out)
    if not sources:
        print_error("no input images found")
        return 2
    if single and len(sources) > 1:
        print_error(f"-o {args.output} names one PNG but there are {len(sources)} inputs; "
                    "give a folder for -o (one grid per input is written there)")
        return 2
    if not single and out.exists() and not out.is_dir():
        print_error(f"-o {args.output} is an existing file; give a folder, or a .png for one input")
        return 2
    crop = None if args.crop is None else Box(args.crop[0], args.crop[1], args.crop[0] + args.crop[2],
                                              args.crop[1] + args.crop[2])  # (y, x, size) from crop_arg
    failed, report = 0, {}
    for src in sources:
        f, rel = src.path, src.relative
        # the source extension stays in the name, so photo.png and photo.jpg get a grid each
        ext = rel.suffix[1:].lower() or "noext"
        dest = out if single else out / rel.parent / f"{rel.stem}-{ext}_compare.png"
        try:
            report[str(f)] = _compare_one(f, models, hr=args.hr, scale=args.scale, dest=dest,
                                          crop=crop)
            print(f"{f} → {dest}")
            for name, entry in report[str(f)].items():
                print(f"  {name:28s} " + "  ".join(f"{k}={v}" for k, v in entry.items()))
        except Exception as err:  # noqa: BLE001 - report and go on with the next file
            failed += 1
            print_error(f"{f}: failed: {error_line(err)}")
    if failed:
        print_error(f"{failed} of {len(sources)} file(s) failed")
    return 1 if failed else 0


def register(sub: Any) -> None:
    """Add the ``compare`` subcommand to the parser's subparsers."""
    c = sub.add_parser("compare", help="side-by-side grid of several upscalers with zoom crops")
    c.add_argument("inputs", nargs="+",
                   help="image files, folders (searched recursively), globs or manifests")
    c.add_argument("-m", "--models", default="bicubic,realesrgan-x4plus",
                   help="comma-separated model names or weight-file paths "
                        "(default: bicubic,realesrgan-x4plus)")
    c.add_argument("-o", "--output", required=True,
                   help="a .png file (one input) or a folder (one NAME-EXT_compare.png per input, mirrored)")
    c.add_argument("--hr", action="store_true",
                   help="inputs are ground truth: downscale them first and report PSNR against them")
    c.add_argument("--scale", type=positive_int, default=4, help="upscaling factor (default 4)")
    c.add_argument("--crop", type=crop_arg, default=None, help="zoom window y,x,size in output pixels")
    c.add_argument("--device", type=device_arg, default=None)
    c.set_defaults(func=_cmd_compare)

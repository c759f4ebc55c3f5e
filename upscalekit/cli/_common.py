"""What every subcommand shares: input expansion, argument types, error output."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

IMAGE_EXT = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"}


def expand(inputs: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for s in inputs:
        p = Path(s)
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_EXT)
        else:
            files.append(p)  # missing files are reported when read
    return files


def tile_arg(text: str) -> int | str | None:
    t = text.strip().lower()
    if t == "auto":
        return "auto"
    if t in ("none", "0", "off"):
        return None
    try:
        return int(t)
    except ValueError:
        msg = f"--tile takes 'auto', 'none' or a size in pixels, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def print_error(msg: str) -> None:
    print(f"upscalekit: {msg}", file=sys.stderr)

"""What every subcommand shares: argument types and error output (inputs: :mod:`upscalekit.batch.plan`)."""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path


def tile_arg(text: str) -> int | str | None:
    t = text.strip().lower()
    if t == "auto":
        return "auto"
    if t in ("none", "0", "off"):
        return None
    try:
        n = int(t)
    except ValueError:
        msg = f"--tile takes 'auto', 'none' or a size in pixels, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if n < 8:
        raise argparse.ArgumentTypeError(f"--tile must be at least 8 pixels (or 'none'), got {text!r}")
    return n


def _number(text: str, kind: type, what: str) -> float:
    try:
        v = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return v


def positive_float(text: str) -> float:
    """A finite number > 0 (``--outscale``)."""
    v = _number(text, float, "a positive number such as 2 or 3.5")
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number such as 2 or 3.5, got {text!r}")
    return v


def finite_float(text: str) -> float:
    """Any finite number (``--strength``)."""
    return _number(text, float, "a number such as 0.5 or 1")


def positive_int(text: str) -> int:
    """A whole number ≥ 1 (``--scale``, ``--workers``)."""
    v = _number(text, int, "a whole number ≥ 1")
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}")
    return int(v)


def nonneg_int(text: str) -> int:
    """A whole number ≥ 0 (``--tile-overlap``)."""
    v = _number(text, int, "a whole number ≥ 0")
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {text!r}")
    return int(v)


_DEVICE = re.compile(r"^(cpu|mps|(cuda|xpu)(:\d+)?)$")


def device_arg(text: str) -> str:
    """``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``xpu[:N]`` (checked against the machine later)."""
    t = text.strip().lower()
    if not _DEVICE.match(t):
        hint = f"; did you mean 'cuda:{t[3:]}'?" if t.startswith("gpu") and t[3:].isdigit() else ""
        raise argparse.ArgumentTypeError(
            f"--device takes cpu, cuda or cuda:N (e.g. cuda:0), got {text!r}{hint}")
    return t


def crop_arg(text: str) -> tuple[int, int, int]:
    """``y,x,size`` of a zoom window in output pixels (checked against the image when it is known)."""
    parts = [p.strip() for p in text.split(",")]
    try:
        y, x, s = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--crop takes three whole numbers y,x,size in output pixels (e.g. 40,40,64), got {text!r}"
        ) from None
    if y < 0 or x < 0 or s < 1:
        raise argparse.ArgumentTypeError(f"--crop y,x,size needs y, x ≥ 0 and size ≥ 1, got {text!r}")
    return y, x, s


def output_dir_arg(text: str) -> str:
    """An output folder: created if missing, refused if it names an existing file."""
    p = Path(text)
    if p.exists() and not p.is_dir():
        raise argparse.ArgumentTypeError(
            f"{text!r} is an existing file; -o takes a folder (it is created if missing)")
    return text


def print_error(msg: str) -> None:
    print(f"upscalekit: {msg}", file=sys.stderr)


def error_line(err: BaseException) -> str:
    """One line for a user: the exception's own message (KeyError's without its quotes), first line."""
    text = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
    text = str(text).strip() or type(err).__name__
    first = text.splitlines()[0]
    more = " …" if len(text.splitlines()) > 1 else ""
    return f"{first}{more}"

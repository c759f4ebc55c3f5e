"""The ``upscalekit`` command's parser: one module per subcommand, each with ``register(sub)``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Subcommand modules under ``upscalekit.cli``, in the order ``upscalekit --help`` lists them.
#: (Imported by name: ``upscalekit.cli.demo`` the function shadows the module of that name.)
SUBCOMMANDS = ("upscale", "evaluate", "compare", "demo", "models")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="upscalekit", description="See how AI upscalers predict detail.")
    sub = p.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(f"upscalekit.cli.{name}").register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``upscalekit`` command.

    Examples
    --------
    >>> main(["models"])  # doctest: +SKIP
    0
    """
    args = _parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

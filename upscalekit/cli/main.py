"""The ``upscalekit`` command's parser: one module per subcommand, each with ``register(sub)``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from upscalekit.cli._common import error_line, print_error

#: Subcommand modules under ``upscalekit.cli``, in the order ``upscalekit --help`` lists them.
#: (Imported by name: ``upscalekit.cli.demo`` the function shadows the module of that name.)
SUBCOMMANDS = ("upscale", "evaluate", "compare", "demo", "models", "diagnose")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="upscalekit", description="See how AI upscalers predict detail.")
    p.add_argument("--debug", action="store_true",
                   help="show the Python traceback when something fails (also UPSCALEKIT_DEBUG=1)")
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
    argv = list(sys.argv[1:] if argv is None else argv)
    # --debug anywhere on the line (before or after the subcommand): show tracebacks.
    debug = "--debug" in argv or os.environ.get("UPSCALEKIT_DEBUG", "") not in ("", "0")
    argv = [a for a in argv if a != "--debug"]
    args = _parser().parse_args(argv)  # bad arguments: argparse prints usage + one line, exit 2
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print_error("interrupted")
        return 130
    except Exception as err:  # noqa: BLE001 - no Python traceback reaches a user, unless --debug
        if debug:
            traceback.print_exc()
        print_error(f"{error_line(err)}" + ("" if debug else "  (run with --debug for the details)"))
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

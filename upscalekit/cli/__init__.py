"""Command line: ``upscalekit upscale``, ``compare``, ``demo`` and ``models``.

Examples
--------
::

    upscalekit upscale photos/ -m realesrgan-x4plus -o out/ --tile 256
    upscalekit compare hr.png -m bicubic,realesrgan-x4plus --hr -o compare.png
    upscalekit demo -o demo_out/
    upscalekit models

A file that cannot be read or upscaled is reported on stderr and skipped; the rest are still
done, and the exit code is 1 if any failed.
"""

from upscalekit.cli.compare import Panel, compare_grid
from upscalekit.cli.demo import demo
from upscalekit.cli.main import main

__all__ = ["Panel", "compare_grid", "demo", "main"]

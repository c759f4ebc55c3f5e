"""``python -m upscalekit``: the command line (see :mod:`upscalekit.cli`)."""

import sys

from upscalekit.cli import main

sys.exit(main())

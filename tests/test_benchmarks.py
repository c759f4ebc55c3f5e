"""The benchmark scripts' own behaviour (not their numbers: performance is printed, never asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_check_exits_cleanly_without_cuda() -> None:
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # hide any GPU: the no-device path
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py")], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "no CUDA device" in proc.stdout and "nothing was run" in proc.stdout
    assert "Traceback" not in proc.stderr

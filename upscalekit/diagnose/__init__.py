"""Artifact diagnosis: where and how an upscaler's output went wrong.

``diagnose(lr, sr, reference=None)`` runs seven detectors (halos, over-smoothing,
text warping, false regularity, tile seams, noise amplification, JPEG block
amplification); each returns a :class:`Finding` with a score, a heatmap at the
SR's size, a status (flagged, ok, or not judged) and a one-line explanation.
Detectors register with the :func:`detector` decorator; how far to trust each
one is measured on held-out photos by :mod:`upscalekit.diagnose.validation`
(``benchmarks/bench_diagnose.py``). Each detector is also a pure function
you can call on its own.
"""

from upscalekit.diagnose.detectors import (
    false_regularity,
    haloing,
    jpeg_blocks,
    noise_amplification,
    over_smoothing,
    text_lines,
    text_mask,
    text_warping,
    tile_seams,
)
from upscalekit.diagnose.findings import Detector, Finding, detector
from upscalekit.diagnose.fixes import apply_strength, keep_interpolated_in
from upscalekit.diagnose.report import DETECTORS, Report, diagnose
from upscalekit.diagnose.scenarios import measure_fix, reproduce
from upscalekit.diagnose.widget import DiagnoseExplorer

__all__ = [
    "DETECTORS",
    "Detector",
    "DiagnoseExplorer",
    "Finding",
    "Report",
    "apply_strength",
    "detector",
    "diagnose",
    "false_regularity",
    "haloing",
    "jpeg_blocks",
    "keep_interpolated_in",
    "measure_fix",
    "noise_amplification",
    "over_smoothing",
    "reproduce",
    "text_lines",
    "text_mask",
    "text_warping",
    "tile_seams",
]

"""Exported notebooks keep their pictures: ``jupyter nbconvert --to html --execute``, then count images.

Every widget of the kit also renders a static PNG (``upscalekit.widgets.base.Widget``), so a page
without a kernel still shows it. Every notebook is converted (nbval executes them too, so CI runs each
twice; measured nbconvert times on the 2-core machine, under load: 02 101 s, 03 103 s, 04 394 s,
05 115 s, 06 202 s, 07 24 s). The counts below are the pictures each export held when measured.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

# notebook → pictures it must contain: one per figure, one per widget.
EXPECTED_IMAGES = {
    "00_quickstart.ipynb": 1,  # the three-panel HR / LR / second-order figure
    # SwipeCompare ×2, SyncZoom, HallucinationBudget, CreativityDial, ScaleCompare
    "01_interpolation_vs_sr.ipynb": 6,
    "02_artifact_diagnosis.ipynb": 11,
    "03_metrics_vs_humans.ipynb": 4,
    "04_video_flicker.ipynb": 4,
    "05_faces.ipynb": 6,
    "06_loss_personality.ipynb": 7,
    "07_ab_experiment.ipynb": 2,
}


def _images(html: str) -> list[str]:
    return re.findall(r'<img[^>]+src="data:image/png;base64,', html)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED_IMAGES))
def test_exported_html_shows_every_figure_and_widget(name: str, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--execute",
           "--ExecutePreprocessor.timeout=1200", "--output-dir", str(tmp_path), str(NOTEBOOKS / name)]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # a forced Agg backend hides figures
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-2000:]
    html = (tmp_path / name.replace(".ipynb", ".html")).read_text()
    n = len(_images(html))
    widgets = html.count("application/vnd.jupyter.widget-view+json")
    print(f"{name}: {n} images, {widgets} widget views")
    assert n >= EXPECTED_IMAGES[name], f"{name}: {n} images in the exported HTML"
    # A widget view with no picture beside it would be an empty box in the exported page.
    assert n >= min(widgets, EXPECTED_IMAGES[name])

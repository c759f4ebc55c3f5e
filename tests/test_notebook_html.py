"""Exported notebooks keep their pictures: ``jupyter nbconvert --to html --execute``, then count images.

Every widget of the kit also renders a static PNG (``upscalekit.widgets.base.Widget``), so a page
without a kernel still shows it. Executing every notebook a second time (nbval already runs them
all) would double CI's notebook time, so this converts a representative subset: the quickstart
(matplotlib figures only) and notebook 01, whose four comparisons and two sliders are all widgets.
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
    "01_interpolation_vs_sr.ipynb": 5,  # SwipeCompare ×2, SyncZoom, HallucinationBudget, ScaleCompare
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

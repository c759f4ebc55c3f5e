"""Interactive widgets for notebooks (ipywidgets), all built on one base class.

Every widget of the kit subclasses :class:`~upscalekit.widgets.base.Widget`: the ipywidgets tree
is in ``.widget``, the main control's value in ``.value``, and displaying it also emits a static
PNG of what it shows, so a page exported to HTML keeps a picture of each widget. The pictures
are drawn by the pure functions of :mod:`upscalekit.display`.

* :class:`SwipeCompare` — two images, a slider moves the split line.
* :class:`SyncZoom` — the same region from every candidate, side by side, nearest-neighbour magnified.
* :class:`MethodPicker` and :class:`ScaleCompare` — choose methods and a scale, re-run them (cached).
* :class:`HallucinationBudget` — ``bicubic + α·(model − bicubic)`` with the invented-detail map
  and the LR-consistency number following α.
* :class:`FrameScrubber` — step or play through video frames, with an optional heat-map overlay.

Domain widgets live beside their domain and build on the same base:
:class:`upscalekit.video.ClipViewer`, :class:`upscalekit.diagnose.widget.DiagnoseExplorer`,
:class:`upscalekit.human.ABStudy`, :class:`upscalekit.faces.FidelitySlider`,
:class:`upscalekit.train.StepSlider`.
"""

from upscalekit.widgets.base import Widget
from upscalekit.widgets.budget import HallucinationBudget
from upscalekit.widgets.compare import MethodPicker, ScaleCompare, SwipeCompare, SyncZoom
from upscalekit.widgets.frames import FrameScrubber

__all__ = [
    "FrameScrubber",
    "HallucinationBudget",
    "MethodPicker",
    "ScaleCompare",
    "SwipeCompare",
    "SyncZoom",
    "Widget",
]

"""An interactive explorer for the artifact scenarios (ipywidgets).

The widget only wires controls to pure functions: :func:`upscalekit.display.overlay_heatmap`
(heatmap over the image) and :func:`explore` (a scenario at another strength, judged by its
detector). Moving the strength slider re-weights the model's residual over
bicubic (:func:`upscalekit.diagnose.fixes.apply_strength`), so it never re-runs
the network; the opacity slider only re-blends the picture.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from upscalekit._checks import unknown_name
from upscalekit.diagnose._common import Finding
from upscalekit.diagnose.fixes import apply_strength
from upscalekit.diagnose.report import DETECTORS
from upscalekit.diagnose.scenarios import Scenario
from upscalekit.display import overlay_heatmap
from upscalekit.io import encode_png
from upscalekit.widgets.base import Widget

__all__ = ["DiagnoseExplorer", "ExplorerView", "explore"]


@dataclass(frozen=True, eq=False)
class ExplorerView:
    """What the explorer shows for one setting of its controls."""

    image: np.ndarray = field(repr=False)  #: the SR with the heatmap blended in
    sr: np.ndarray = field(repr=False)  #: the SR at the chosen strength
    finding: Finding = field(repr=False)  #: the scenario's detector on that SR
    caption: str


def explore(scenario: Scenario, *, strength: float = 1.0, opacity: float = 0.6) -> ExplorerView:
    """A scenario re-weighted to ``strength`` and judged by its detector, ready to display.

    Examples
    --------
    >>> view = explore(reproduce("haloing"), strength=2.0)  # doctest: +SKIP
    >>> view.finding.flagged  # doctest: +SKIP
    True
    """
    sr = scenario.sr if strength == 1.0 else apply_strength(scenario.lr, scenario.sr, strength)
    # the pair is the scenario's own input and a blend of its output: matched by construction, so the
    # pair check (for files a user supplies) is skipped; at strength 3 on the already-strengthened noise
    # scenario the blend's correlation with the input falls to 0.55 and the check would refuse it
    finding = DETECTORS[scenario.detector](scenario.lr, sr, reference=scenario.reference, check_pair=False)
    caption = (f"{scenario.name}{' (fixed)' if scenario.fixed else ''} · strength {strength:g} · "
               f"{finding.name} score {finding.score:.4g}{' ⚠ flagged' if finding.flagged else ''}\n"
               f"{finding.explanation}")
    return ExplorerView(overlay_heatmap(sr, finding.heatmap, opacity, vmax=1.0), sr, finding, caption)


class DiagnoseExplorer(Widget):
    """Pick an artifact scenario, move the strength and heatmap-opacity sliders, see the detector react.

    Parameters
    ----------
    scenarios
        Name → :class:`Scenario` (e.g. the ones a notebook already reproduced, so nothing
        is re-run). Default: every recipe, reproduced on first display (slow on a CPU).

    Examples
    --------
    >>> DiagnoseExplorer({"haloing": reproduce("haloing")})  # doctest: +SKIP
    """

    def __init__(self, scenarios: Mapping[str, Scenario] | None = None) -> None:
        if scenarios is not None and not scenarios:
            raise ValueError("scenarios is empty; pass at least one, e.g. {'haloing': reproduce('haloing')}")
        self._scenarios: dict[str, Scenario] | None = dict(scenarios) if scenarios is not None else None
        self._controls: tuple[Any, Any, Any] | None = None

    @property
    def scenarios(self) -> dict[str, Scenario]:
        if self._scenarios is None:
            from upscalekit.diagnose.scenarios import names, reproduce

            self._scenarios = {n: reproduce(n) for n in names()}
        return self._scenarios

    def view(self, name: str, *, strength: float = 1.0, opacity: float = 0.6) -> ExplorerView:
        """What the widget shows for these control values (the callbacks call this)."""
        if name not in self.scenarios:
            raise unknown_name("scenario", name, self.scenarios)
        return explore(self.scenarios[name], strength=strength, opacity=opacity)

    def _current(self) -> ExplorerView:
        if self._controls is None:
            return self.view(next(iter(self.scenarios)))
        pick, strength, opacity = self._controls
        return self.view(pick.value, strength=strength.value, opacity=opacity.value)

    def picture(self) -> np.ndarray:
        """The scenario's SR with its detector's heatmap, at the controls' values."""
        return self._current().image

    def caption(self) -> str:
        return self._current().caption

    def _build(self) -> Any:
        import ipywidgets as w

        names = list(self.scenarios)
        pick = w.Dropdown(options=names, value=names[0], description="artifact")
        strength = w.FloatSlider(value=1.0, min=0.0, max=3.0, step=0.25, description="strength",
                                 continuous_update=False)
        opacity = w.FloatSlider(value=0.6, min=0.0, max=1.0, step=0.05, description="heatmap",
                                continuous_update=False)
        self._controls = (pick, strength, opacity)
        self.control = strength
        picture = w.Image(format="png")
        caption = w.HTML()

        def refresh(_: object = None) -> None:
            v = self._current()
            picture.value = encode_png(v.image)
            picture.width = str(max(256, v.image.shape[1]))
            caption.value = "<br>".join(html.escape(line) for line in v.caption.splitlines())

        for control in (pick, strength, opacity):
            control.observe(refresh, names="value")
        refresh()
        return w.VBox([w.HBox([pick, strength, opacity]), picture, caption])

"""Notebook widget of the two twin dials (:mod:`upscalekit.models.creativity`): weights vs outputs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from upscalekit.models.creativity import dial_outputs
from upscalekit.widgets.base import Widget

__all__ = ["CreativityDial"]


class CreativityDial(Widget):
    """A "creativity" slider (weight interpolation) beside the output-blend dial at the same ``t``.

    Both outputs are computed once per position of a fixed grid (the slider snaps to it), so
    moving the slider only swaps pictures. The caption gives invented detail and LR consistency of
    both at the current ``t``.

    Parameters
    ----------
    lr
        The low-resolution input.
    a, b
        Twin model names (same architecture).
    ts
        Slider positions.

    Examples
    --------
    >>> from upscalekit.train.data import held_out_crops
    >>> dial = CreativityDial(held_out_crops(64)[0].lr, ts=(0.0, 0.5, 1.0))
    >>> dial.value = 0.5
    >>> dial.picture().shape[0]
    64
    """

    def __init__(self, lr: np.ndarray, a: str = "compact-x4-l1", b: str = "compact-x4-l1-perceptual-gan",
                 *, ts: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0), width: int = 256) -> None:
        from upscalekit._checks import check_image
        from upscalekit.metrics import invented_detail, lr_consistency

        self.lr = check_image(lr)
        self.a, self.b, self.ts, self.width = a, b, tuple(float(t) for t in ts), width
        self._weights, self._blends = dial_outputs(self.lr, a, b, self.ts)
        self._numbers = [
            (invented_detail(self.lr, w), lr_consistency(self.lr, w),
             invented_detail(self.lr, o), lr_consistency(self.lr, o))
            for w, o in zip(self._weights, self._blends, strict=True)
        ]
        self._t = self.ts[len(self.ts) // 2]

    def _index(self) -> int:
        t = float(self.control.value) if self.control is not None else self._t
        return int(np.argmin([abs(t - x) for x in self.ts]))

    def _build(self) -> object:
        import ipywidgets as w

        from upscalekit.widgets.base import image_view, labelled

        self.control = w.SelectionSlider(options=list(self.ts), value=self._t, description="t",
                                         continuous_update=False)
        self._views = (image_view(self._weights[self._index()], width=self.width),
                       image_view(self._blends[self._index()], width=self.width))
        self._label = w.HTML(self.caption())

        def redraw(_: object) -> None:
            from upscalekit.io import encode_png

            i = self._index()
            self._views[0].value = encode_png(np.clip(self._weights[i], 0, 1))
            self._views[1].value = encode_png(np.clip(self._blends[i], 0, 1))
            self._label.value = self.caption()

        self.control.observe(redraw, names="value")
        return w.VBox([self.control, w.HBox([labelled("weights blended (creativity)", self._views[0]),
                                             labelled("outputs blended", self._views[1])]), self._label])

    def picture(self) -> np.ndarray:
        from upscalekit.display import side_by_side

        i = self._index()
        return side_by_side([np.clip(self._weights[i], 0, 1), np.clip(self._blends[i], 0, 1)])

    def caption(self) -> str:
        i = self._index()
        iw, lw, io, lo = self._numbers[i]
        return (f"t = {self.ts[i]:g} ({self.a} → {self.b}). Weights blended: invented detail {iw:.4f}, "
                f"LR consistency {lw:.2f} dB. Outputs blended: invented detail {io:.4f}, "
                f"LR consistency {lo:.2f} dB.")

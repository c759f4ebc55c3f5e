"""Dial a model's invented detail: ``bicubic + α·(model − bicubic)``, with the invented-detail map
and the LR-consistency number following α (:func:`upscalekit.metrics.invented_detail`,
:func:`upscalekit.metrics.lr_consistency`)."""

from __future__ import annotations

import time
from collections import OrderedDict

import numpy as np

from upscalekit._checks import check_image
from upscalekit.display import heatmap_rgb, side_by_side
from upscalekit.io import encode_png
from upscalekit.metrics import invented_detail, lr_consistency
from upscalekit.models.strength import blend_residual
from upscalekit.resize import resize
from upscalekit.widgets.base import Widget, image_view, labelled

__all__ = ["HallucinationBudget"]


class HallucinationBudget(Widget):
    """Dial a model's invented detail: output = baseline + α·(model − baseline), α from 0 to 1.5.

    α = 0 is the baseline interpolation (invents nothing), 1 the model, 1.5 an exaggeration.
    Beside the output: the invented-detail map (colour scale fixed at α = max so the colours
    compare between positions) and the LR-consistency number: how well the output, downscaled,
    reproduces the LR input (:func:`~upscalekit.metrics.invented_detail`,
    :func:`~upscalekit.metrics.lr_consistency`, in dB).

    Parameters
    ----------
    lr
        The low-resolution input.
    model_output
        The model's upscaled output of ``lr``.
    baseline
        Interpolation method for the α = 0 end (see :mod:`upscalekit.resize`).
    alpha, max_alpha, step
        Initial value, slider end and slider step.
    width
        Display width of each image in CSS pixels.

    Examples
    --------
    >>> import numpy as np
    >>> lr = np.random.default_rng(0).random((8, 8, 3), dtype=np.float32)
    >>> hb = HallucinationBudget(lr, np.clip(np.repeat(np.repeat(lr, 4, 0), 4, 1), 0, 1))
    >>> hb.alpha.value = 0.0
    """

    def __init__(
        self,
        lr: np.ndarray,
        model_output: np.ndarray,
        *,
        baseline: str = "bicubic",
        alpha: float = 1.0,
        max_alpha: float = 1.5,
        step: float = 0.05,
        cmap: str = "magma",
        width: int | None = None,
    ) -> None:
        import ipywidgets as w

        self.lr = check_image(lr, "lr")
        self.model = check_image(model_output, "model_output")
        if self.model.shape[0] < self.lr.shape[0] or self.model.shape[1] < self.lr.shape[1]:
            raise ValueError(f"model_output {self.model.shape} is smaller than lr {self.lr.shape}; "
                             "pass (lr, upscaled output) in that order")
        self.base = resize(self.lr, size=self.model.shape[:2], method=baseline)
        self.cmap = cmap
        self.vmax = max(1e-6, float(np.percentile(
            _invented_map(self.lr, blend_residual(self.base, self.model, max_alpha)), 99.5)))
        self.alpha = w.FloatSlider(value=alpha, min=0.0, max=max_alpha, step=step, description="α",
                                   continuous_update=True, readout_format=".2f")
        self.image = image_view(width=width)
        self.heat = image_view(width=width)
        self.readout = w.HTML()
        self.output = self.base
        self.lr_consistency = float("nan")
        self.invented_mean = float("nan")
        self.redraw_ms = 0.0
        self._cache: OrderedDict[float, tuple[bytes, bytes, float, float, np.ndarray, np.ndarray]]
        self._cache = OrderedDict()
        self.alpha.observe(lambda _c: self._redraw(), names="value")
        views = w.HBox([labelled("output", self.image), labelled("invented detail", self.heat)])
        self.control = self.alpha
        self._heat_rgb = np.zeros((1, 1, 3), np.float32)
        self.widget = w.VBox([w.HBox([self.alpha, self.readout]), views])
        self.widget.add_class("upscalekit-budget")
        self._redraw()

    def _redraw(self) -> None:
        t0 = time.perf_counter()
        a = round(float(self.alpha.value), 6)
        if a not in self._cache:
            out = blend_residual(self.base, self.model, a)
            imap = _invented_map(self.lr, out)
            heat = heatmap_rgb(imap, vmax=self.vmax, cmap=self.cmap)
            entry = (encode_png(out), encode_png(heat), float(lr_consistency(self.lr, out)),
                     float(np.mean(imap)), out, heat)
            self._cache[a] = entry
            while len(self._cache) > 64:
                self._cache.popitem(last=False)
        png, heat, self.lr_consistency, self.invented_mean, self.output, self._heat_rgb = self._cache[a]
        self.image.value, self.heat.value = png, heat
        self.readout.value = (f"α = {a:.2f} · LR consistency <b>{self.lr_consistency:.2f} dB</b> · "
                              f"mean invented detail <b>{self.invented_mean:.4f}</b>")
        self.redraw_ms = (time.perf_counter() - t0) * 1e3

    def picture(self) -> np.ndarray:
        """The output at the current α beside its invented-detail map."""
        return side_by_side([self.output, self._heat_rgb])

    def caption(self) -> str:
        return (f"output | invented detail · α = {float(self.alpha.value):.2f} · LR consistency "
                f"{self.lr_consistency:.2f} dB · mean invented detail {self.invented_mean:.4f}")


def _invented_map(lr: np.ndarray, sr: np.ndarray) -> np.ndarray:
    return np.asarray(invented_detail(lr, sr, full=True)[1], np.float32)

"""Fidelity slider: re-blend already restored faces at any fidelity without re-running the restorer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from upscalekit.faces.restore import FaceRestorer, compose_faces, prepare_faces
from upscalekit.pixels import Box
from upscalekit.widgets.base import Widget

__all__ = ["FidelitySlider"]


class FidelitySlider(Widget):
    """Slider from 0 (background pipeline's face) to 1 (restorer's face); works with any restorer.

    The restorer runs once in the constructor; moving the slider only calls
    :func:`~upscalekit.faces.restore.compose_faces`, a pure, tested function. ``crop`` (a
    :class:`~upscalekit.pixels.Box`) shows only that part of the composite.

    Examples
    --------
    >>> FidelitySlider(image, model="identity", scale=2)  # doctest: +SKIP
    """

    def __init__(
        self,
        image: np.ndarray,
        *,
        model: str | FaceRestorer | Callable[[np.ndarray], np.ndarray] = "gfpgan-v1.4",
        weights: str | None = None,
        upscaler: Any = None,
        scale: float = 1.0,
        fidelity: float = 1.0,
        crop: Box | None = None,
        background: np.ndarray | None = None,
    ) -> None:
        self.background, self.faces = prepare_faces(
            image, model, weights=weights, upscaler=upscaler, scale=scale, background=background
        )
        self.fidelity = fidelity
        self.crop = crop

    def render(self, fidelity: float | None = None) -> np.ndarray:
        """The composited image at ``fidelity`` (default: the current slider value)."""
        f = self.fidelity if fidelity is None else fidelity
        out = compose_faces(self.background, self.faces, fidelity=f)
        return out if self.crop is None else out[Box(*self.crop).slices]

    def picture(self) -> np.ndarray:
        """The composite at the current fidelity."""
        return np.clip(self.render(), 0.0, 1.0).astype(np.float32, copy=False)

    def caption(self) -> str:
        return f"fidelity {self.fidelity:.2f} ({len(self.faces)} face(s))"

    def _build(self) -> Any:
        import html

        import ipywidgets as w

        from upscalekit.io import encode_png
        from upscalekit.widgets.base import image_view

        slider = w.FloatSlider(value=self.fidelity, min=0.0, max=1.0, step=0.05, description="fidelity",
                               continuous_update=False)
        self.control = slider
        title = w.HTML()
        image = image_view(width=min(512, self.render().shape[1]) if self.crop is None else None)

        def draw(_: Any = None) -> None:
            self.fidelity = float(slider.value)
            image.value = encode_png(self.picture())
            title.value = f"<b>{html.escape(self.caption())}</b>"

        slider.observe(draw, names="value")
        draw()
        return w.VBox([slider, title, image])

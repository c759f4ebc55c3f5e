"""Side-by-side frames with flicker overlays, an MP4 export, and a notebook viewer with sliders.

The viewer's callbacks only call the pure function here (:func:`frame_row`, built on
:mod:`upscalekit.display`) and :func:`~upscalekit.video.smooth.temporal_smooth`, which are tested.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from upscalekit.pixels import as_rgb
from upscalekit.resize import resize
from upscalekit.widgets.base import Widget

__all__ = ["HEAT_OPACITY", "ClipViewer", "frame_row", "write_side_by_side"]

#: Opacity of a flicker heatmap where it reaches 1.
HEAT_OPACITY = 0.6


def frame_row(
    arms: Mapping[str, Sequence[np.ndarray]],
    t: int,
    *,
    heat: Mapping[str, np.ndarray] | None = None,
    gap: int = 4,
) -> np.ndarray:
    """Frame ``t`` of every arm in a row (smaller frames enlarged by nearest neighbour: pixels stay visible).

    ``heat`` maps arm names to flicker heatmaps in [0, 1], laid over those arms with
    :func:`upscalekit.display.overlay_heatmap`; the row is :func:`upscalekit.display.side_by_side`.

    Examples
    --------
    >>> import numpy as np
    >>> row = frame_row({"a": [np.zeros((8, 8, 3), np.float32)], "b": [np.ones((8, 8, 3), np.float32)]}, 0)
    >>> row.shape
    (8, 20, 3)
    """
    from upscalekit.display import overlay_heatmap, side_by_side

    if not arms:
        raise ValueError("no arms to show")
    h = max(frames[0].shape[0] for frames in arms.values())
    tiles = []
    for name, frames in arms.items():
        if not 0 <= t < len(frames):
            raise IndexError(f"frame {t} out of range for {name!r} ({len(frames)} frames)")
        f = as_rgb(np.asarray(frames[t], np.float32))
        if f.shape[0] != h:
            f = resize(f, size=(h, round(f.shape[1] * h / f.shape[0])), method="nearest")
        if heat is not None and name in heat:
            f = overlay_heatmap(f, heat[name], HEAT_OPACITY, vmax=1.0)
        tiles.append(f)
    return side_by_side(tiles, gap=gap)


def write_side_by_side(
    path: str | os.PathLike[str],
    arms: Mapping[str, Sequence[np.ndarray]],
    fps: float = 24,
    *,
    heat: Mapping[str, np.ndarray] | None = None,
    crf: int = 18,
    audio_from: str | os.PathLike[str] | None = None,
    audio_start: float = 0.0,
) -> Path:
    """Write an MP4 with all arms side by side (see :func:`frame_row`).

    ``audio_from``: a file whose audio track is copied in, from second ``audio_start`` on,
    trimmed to the video's length.

    Examples
    --------
    >>> write_side_by_side("compare.mp4", {"bicubic": bic, "BasicVSR": vsr}, 24)  # doctest: +SKIP
    """
    import warnings

    from upscalekit.video.io import write_video

    n = min(len(f) for f in arms.values())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*even sizes.*")  # padding one pixel is harmless here
        return write_video(path, (frame_row(arms, t, heat=heat) for t in range(n)), fps, crf=crf,
                           audio_from=audio_from, audio_start=audio_start)


class ClipViewer(Widget):
    """Notebook viewer: frame slider, smoothing-strength slider, heatmap toggle, per-frame flicker curve.

    Parameters
    ----------
    arms
        Name → frames, all arms the same length (an LR input is shown enlarged).
    smooth_arm
        Name of the arm that the strength slider smooths (shown as ``"<name> + smoothing"``).
    flows
        Flows for smoothing and flicker (e.g. ``compute_flows(clip.lr)``; any size).
    heat
        Name → flicker heatmap, overlaid when the toggle is on.
    curves
        Name → per-frame flicker values (e.g. ``warping_error(...).per_frame``), plotted under the frames.

    Examples
    --------
    >>> ClipViewer({"input": clip.lr, "GAN": gan}, smooth_arm="GAN", flows=flows)  # doctest: +SKIP
    """

    def __init__(
        self,
        arms: Mapping[str, Sequence[np.ndarray]],
        *,
        smooth_arm: str | None = None,
        flows: Any = None,
        heat: Mapping[str, np.ndarray] | None = None,
        curves: Mapping[str, np.ndarray] | None = None,
        strength: float = 0.5,
    ) -> None:
        if smooth_arm is not None and smooth_arm not in arms:
            raise KeyError(f"smooth_arm {smooth_arm!r} is not one of the arms {list(arms)}")
        self.arms = dict(arms)
        self.smooth_arm = smooth_arm
        self.flows = flows
        self.heat = dict(heat or {})
        self.curves = dict(curves or {})
        self.strength = strength
        self.n = min(len(f) for f in self.arms.values())
        self._smoothed: list[np.ndarray] | None = None
        self._controls: tuple[Any, Any, Any] | None = None

    def smoothed(self, strength: float) -> list[np.ndarray]:
        """The smoothed arm at ``strength`` (recomputed when the slider moves)."""
        from upscalekit.video.smooth import temporal_smooth

        assert self.smooth_arm is not None
        return temporal_smooth(self.arms[self.smooth_arm], strength=strength, flows=self.flows)

    def panel(self, t: int, strength: float, show_heat: bool) -> np.ndarray:
        """The image shown for frame ``t``."""
        arms = dict(self.arms)
        if self.smooth_arm is not None:
            if self._smoothed is None or strength != self.strength:
                self._smoothed, self.strength = self.smoothed(strength), strength
            arms[f"{self.smooth_arm} + smoothing {strength:.2f}"] = self._smoothed
        return frame_row(arms, t, heat=self.heat if show_heat else None)

    def curve_figure(self, t: int) -> np.ndarray:
        """The per-frame flicker curves with a marker at frame ``t``, as an RGB image ``width`` px wide."""
        import matplotlib.pyplot as plt

        from upscalekit.widgets.base import figure_to_rgb

        fig, ax = plt.subplots(figsize=(max(4.0, 2.2 * len(self.arms)), 1.8), dpi=90)
        for name, curve in self.curves.items():
            ax.plot(np.arange(len(curve)) + 0.5, curve, label=name)
        ax.axvline(t, color="k", lw=0.8)
        ax.set_xlabel("frame")
        ax.set_ylabel("warping error")
        if self.curves:
            ax.legend(fontsize=7)
        fig.tight_layout()
        return figure_to_rgb(fig)

    def picture(self) -> np.ndarray:
        """The frames now shown, above the flicker curves when there are any."""
        t, strength, heat = self._state()
        panel = self.panel(t, strength, heat)
        if not self.curves:
            return panel
        from upscalekit.display import side_by_side_vertical

        return side_by_side_vertical([panel, self.curve_figure(t)])

    def caption(self) -> str:
        return "   |   ".join(self._names())

    def _names(self) -> list[str]:
        return list(self.arms) + ([f"{self.smooth_arm} + smoothing"] if self.smooth_arm else [])

    def _state(self) -> tuple[int, float, bool]:
        if self._controls is None:
            return 0, self.strength, False
        frame, strength, show_heat = self._controls
        return int(frame.value), float(strength.value), bool(show_heat.value)

    def _build(self) -> Any:
        import html

        import ipywidgets as w

        from upscalekit.widgets.base import image_view

        frame = w.IntSlider(0, 0, self.n - 1, description="frame", continuous_update=False)
        strength = w.FloatSlider(self.strength, min=0.0, max=0.95, step=0.05, description="smoothing",
                                 continuous_update=False, disabled=self.smooth_arm is None)
        show_heat = w.Checkbox(False, description="flicker heatmap")
        self._controls = (frame, strength, show_heat)
        self.control = frame
        names = w.HTML(f"<b>{html.escape(self.caption())}</b>")
        image = image_view()

        def draw(*_: Any) -> None:
            import time

            from upscalekit.io import encode_png

            t0 = time.perf_counter()
            image.value = encode_png(self.picture())
            self.redraw_ms = (time.perf_counter() - t0) * 1e3

        for widget in (frame, strength, show_heat):
            widget.observe(draw, names="value")
        draw()
        return w.VBox([w.HBox([frame, strength, show_heat]), names, image])

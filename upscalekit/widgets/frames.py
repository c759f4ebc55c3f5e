"""Step or play through video frames, several streams side by side, with an optional heat-map overlay."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence

import numpy as np

from upscalekit._checks import check_image
from upscalekit.display import overlay_heatmap, side_by_side
from upscalekit.io import encode_png
from upscalekit.pixels import as_rgb
from upscalekit.widgets.base import Widget, image_view, labelled

__all__ = ["FrameScrubber"]


class FrameScrubber(Widget):
    """Step or play through video frames; several streams side by side; optional heat-map overlay.

    Parameters
    ----------
    frames
        A list of frames, or name → list of frames (all lists the same length), e.g.
        ``{"bicubic": [...], "model": [...]}``.
    overlay
        Optional per-frame H×W maps (e.g. flicker), as one list laid over every stream or
        name → list for some streams. Colours use one scale over all frames.
    opacity
        Initial overlay opacity.
    fps
        Playback speed of the play button.
    width
        Display width of each stream in CSS pixels.

    Examples
    --------
    >>> import numpy as np
    >>> fs = FrameScrubber([np.zeros((8, 8, 3), np.float32), np.ones((8, 8, 3), np.float32)])
    >>> fs.frame.value = 1
    """

    def __init__(
        self,
        frames: Sequence[np.ndarray] | Mapping[str, Sequence[np.ndarray]],
        *,
        overlay: Sequence[np.ndarray] | Mapping[str, Sequence[np.ndarray]] | None = None,
        opacity: float = 0.5,
        fps: float = 10.0,
        cmap: str = "magma",
        width: int | None = None,
    ) -> None:
        import ipywidgets as w

        streams = dict(frames) if isinstance(frames, Mapping) else {"frames": list(frames)}
        if not streams or any(len(v) == 0 for v in streams.values()):
            raise ValueError("FrameScrubber needs at least one non-empty list of frames")
        lengths = {k: len(v) for k, v in streams.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"all streams must have the same number of frames, got {lengths}")
        self.n = next(iter(lengths.values()))
        self.streams = {str(k): [as_rgb(check_image(f, f"{k}[{i}]")) for i, f in enumerate(v)]
                        for k, v in streams.items()}
        self.overlay: dict[str, list[np.ndarray]] = {}
        if overlay is not None:
            ov = dict(overlay) if isinstance(overlay, Mapping) else {k: overlay for k in self.streams}
            for k, maps in ov.items():
                if k not in self.streams:
                    from upscalekit._checks import unknown_name

                    raise unknown_name("stream", str(k), self.streams)
                if len(maps) != self.n:
                    raise ValueError(f"overlay for {k!r} has {len(maps)} maps for {self.n} frames")
                self.overlay[str(k)] = [np.asarray(m, np.float32) for m in maps]
        # One colour scale for all frames: a flicker map must not re-normalise per frame.
        self.vmax = max((float(np.max(m)) for ms in self.overlay.values() for m in ms), default=1.0) or 1.0
        self.cmap = cmap
        self.frame = w.IntSlider(value=0, min=0, max=self.n - 1, description="frame", continuous_update=True)
        self.play = w.Play(value=0, min=0, max=self.n - 1, interval=max(1, int(1000 / fps)))
        w.jslink((self.play, "value"), (self.frame, "value"))
        self.opacity = w.FloatSlider(value=opacity, min=0.0, max=1.0, step=0.05, description="overlay",
                                     layout=w.Layout(display=None if self.overlay else "none"))
        self.images = {k: image_view(width=width) for k in self.streams}
        self.redraw_ms = 0.0
        self._cache: OrderedDict[tuple[str, int, float], bytes] = OrderedDict()
        self.frame.observe(lambda _c: self._redraw(), names="value")
        self.opacity.observe(lambda _c: self._redraw(), names="value")
        self.control = self.frame
        self.widget = w.VBox([w.HBox([self.play, self.frame, self.opacity]),
                              w.HBox([labelled(k, im) for k, im in self.images.items()])])
        self.widget.add_class("upscalekit-frames")
        self._redraw()

    def render(self, stream: str, index: int, opacity: float | None = None) -> np.ndarray:
        """The frame as displayed (with the overlay blended in when there is one)."""
        img = self.streams[stream][index]
        op = self.opacity.value if opacity is None else opacity
        if stream in self.overlay and op > 0:
            return overlay_heatmap(img, self.overlay[stream][index], op, vmax=self.vmax, cmap=self.cmap)
        return img

    def _redraw(self) -> None:
        t0 = time.perf_counter()
        i, op = int(self.frame.value), round(float(self.opacity.value), 4)
        for k, im in self.images.items():
            key = (k, i, op if k in self.overlay else 0.0)
            if key not in self._cache:
                self._cache[key] = encode_png(self.render(k, i, op))
                while len(self._cache) > 256:
                    self._cache.popitem(last=False)
            im.value = self._cache[key]
        self.redraw_ms = (time.perf_counter() - t0) * 1e3

    def picture(self) -> np.ndarray:
        """The current frame of every stream, in one row (overlays blended as shown)."""
        i = int(self.frame.value)
        return side_by_side([self.render(k, i) for k in self.streams])

    def caption(self) -> str:
        return f"frame {int(self.frame.value)} of {self.n}: " + " | ".join(self.streams)

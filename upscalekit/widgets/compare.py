"""Compare methods on one picture: swipe, synchronized zoom, method picker, scale comparison.

Each widget only wires sliders to the pure functions of :mod:`upscalekit.display` (arrays in,
arrays out, tested without a browser); the image a widget shows is a PNG encoded once per redraw.
Everything that does not depend on a slider is computed once in ``__init__`` so that a redraw of a
512 × 512 view stays well under 200 ms on a CPU.

* :class:`SwipeCompare` — two images, a slider moves the split line.
* :class:`SyncZoom` — the same region from every candidate, side by side, nearest-neighbour magnified.
* :class:`MethodPicker` and :class:`ScaleCompare` — choose methods and a scale, re-run them (cached).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from upscalekit._checks import check_image
from upscalekit.display import _swipe, crops_at, draw_box, nearest_to, side_by_side, zoom_boxes
from upscalekit.io import encode_png
from upscalekit.models.memo import Runner
from upscalekit.pixels import as_rgb
from upscalekit.resize import resize
from upscalekit.widgets.base import Widget, image_view, labelled

__all__ = ["MethodPicker", "Runner", "ScaleCompare", "SwipeCompare", "SyncZoom"]


class SwipeCompare(Widget):
    """Two images with a draggable split line: left of the line ``a``, right of it ``b``.

    Images of different sizes are allowed: the smaller is brought to the larger's size by nearest
    neighbour (so an LR input shows its real pixels next to an SR output).

    Parameters
    ----------
    a, b
        Images (HWC float32 in [0, 1]).
    labels
        Names shown left and right of the slider.
    position
        Initial split as a fraction of the width.
    width
        Display width in CSS pixels (default: the image's own width).

    Examples
    --------
    >>> import numpy as np
    >>> sw = SwipeCompare(np.zeros((8, 8, 3), np.float32), np.ones((8, 8, 3), np.float32))
    >>> sw.slider.value = 0.25  # the displayed PNG is redrawn
    """

    def __init__(
        self,
        a: np.ndarray,
        b: np.ndarray,
        *,
        labels: tuple[str, str] = ("A", "B"),
        position: float = 0.5,
        width: int | None = None,
    ) -> None:
        import ipywidgets as w

        a = as_rgb(check_image(a, "a"))
        b = as_rgb(check_image(b, "b"))
        h, wd = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
        self.a = a if a.shape[:2] == (h, wd) else nearest_to(a, h, wd)
        self.b = b if b.shape[:2] == (h, wd) else nearest_to(b, h, wd)
        self.labels = tuple(labels)
        shown = int(width or wd)
        self.slider = w.FloatSlider(
            value=float(position), min=0.0, max=1.0, step=0.01, readout_format=".2f",
            continuous_update=True, layout=w.Layout(width=f"{max(shown, 200)}px"),
        )
        self.image = image_view(width=width)
        self.redraw_ms = 0.0
        self.slider.observe(lambda _c: self._redraw(), names="value")
        names = w.HBox([w.HTML(f"◀ <b>{html.escape(labels[0])}</b>"),
                        w.HTML(f"<b>{html.escape(labels[1])}</b> ▶")],
                       layout=w.Layout(width=f"{max(shown, 200)}px", justify_content="space-between"))
        self.control = self.slider
        self.widget = w.VBox([names, self.slider, self.image], layout=w.Layout(width="max-content"))
        self.widget.add_class("upscalekit-swipe")
        self._redraw()

    def picture(self) -> np.ndarray:
        """The composite at the slider's position."""
        return _swipe(self.a, self.b, float(self.slider.value), 2, (1.0, 1.0, 1.0))

    def caption(self) -> str:
        return f"◀ {self.labels[0]} | {self.labels[1]} ▶ (split at {self.slider.value:.2f})"

    def _redraw(self) -> None:
        t0 = time.perf_counter()
        self.image.value = encode_png(self.picture())
        self.redraw_ms = (time.perf_counter() - t0) * 1e3


class SyncZoom(Widget):
    """One region from every candidate side by side, magnified by nearest neighbour.

    An overview of the first image shows where the region is. Candidates may be at different
    scales (an LR input and its 4× outputs); the region is placed in a common normalised frame.

    Parameters
    ----------
    images
        Name → image.
    x, y, size
        Initial region: centre (fractions of width and height) and side (fraction of the shorter side).
    crop_px
        Target displayed side of each crop; the magnification is chosen to reach it.
    overview_px
        Displayed width of the overview.

    Examples
    --------
    >>> import numpy as np
    >>> z = SyncZoom({"lr": np.zeros((16, 16, 3), np.float32), "sr": np.zeros((64, 64, 3), np.float32)})
    >>> z.x.value = 0.2
    """

    def __init__(
        self,
        images: Mapping[str, np.ndarray],
        *,
        x: float = 0.5,
        y: float = 0.5,
        size: float = 0.25,
        crop_px: int = 192,
        overview_px: int = 256,
    ) -> None:
        import ipywidgets as w

        if not images:
            raise ValueError("SyncZoom needs at least one image (a dict name → image)")
        self.images = {str(k): as_rgb(check_image(v, str(k))) for k, v in images.items()}
        self.crop_px = int(crop_px)
        first = next(iter(self.images.values()))
        # The overview is shown small; precompute it once and scale the box into it per redraw.
        ov_w = min(int(overview_px), first.shape[1])
        ov_h = max(1, round(first.shape[0] * ov_w / first.shape[1]))
        self._overview = resize(first, size=(ov_h, ov_w), method="area")
        slider = dict(min=0.0, max=1.0, step=0.01, continuous_update=True, readout_format=".2f")
        self.x = w.FloatSlider(value=x, description="x", **slider)
        self.y = w.FloatSlider(value=y, description="y", **slider)
        self.size = w.FloatSlider(value=size, description="size", **{**slider, "min": 0.02})
        self.overview = image_view()
        self.crops = {k: image_view() for k in self.images}
        self.redraw_ms = 0.0
        for s in (self.x, self.y, self.size):
            s.observe(lambda _c: self._redraw(), names="value")
        controls = w.VBox([self.x, self.y, self.size, self.overview])
        tiles = w.HBox([labelled(k, im) for k, im in self.crops.items()],
                       layout=w.Layout(flex_flow="row wrap"))
        self.control = self.size
        self._shown: tuple[np.ndarray, dict[str, np.ndarray]] = (self._overview, {})
        self.widget = w.HBox([controls, tiles])
        self.widget.add_class("upscalekit-synczoom")
        self._redraw()

    def picture(self) -> np.ndarray:
        """The overview (region outlined) and every candidate's crop, in one row."""
        overview, crops = self._shown
        return side_by_side([overview, *crops.values()])

    def caption(self) -> str:
        return "overview | " + " | ".join(self.images)

    def _redraw(self) -> None:
        t0 = time.perf_counter()
        boxes = zoom_boxes([v.shape for v in self.images.values()], self.x.value, self.y.value,
                           self.size.value)
        finest = max(b[3] - b[1] for b in boxes)
        magnify = max(1, self.crop_px // finest)
        crops = crops_at(self.images, boxes, magnify=magnify)
        for k, c in crops.items():
            self.crops[k].value = encode_png(c)
        first = next(iter(self.images.values()))
        overview = draw_box(self._overview, boxes[0].scaled(first.shape, self._overview.shape), width=2)
        self.overview.value = encode_png(overview)
        self._shown = (overview, crops)
        self.redraw_ms = (time.perf_counter() - t0) * 1e3


class MethodPicker(Widget):
    """A row of checkboxes to choose methods; ``.value`` is the tuple of chosen names in given order.

    Examples
    --------
    >>> mp = MethodPicker(["bicubic", "lanczos"], selected=["bicubic"])
    >>> mp.value
    ('bicubic',)
    """

    def __init__(self, methods: Sequence[str], *, selected: Sequence[str] | None = None) -> None:
        import ipywidgets as w

        self.methods = tuple(str(m) for m in methods)
        if not self.methods:
            raise ValueError("MethodPicker needs at least one method name")
        chosen = set(self.methods if selected is None else selected)
        unknown = chosen - set(self.methods)
        if unknown:
            from upscalekit._checks import unknown_name

            raise unknown_name("method", sorted(unknown)[0], self.methods)
        self.checkboxes = {
            m: w.Checkbox(value=m in chosen, description=m, indent=False, layout=w.Layout(width="auto"))
            for m in self.methods
        }
        self.widget = w.HBox(list(self.checkboxes.values()), layout=w.Layout(flex_flow="row wrap"))

    @property
    def value(self) -> tuple[str, ...]:
        """The chosen method names, in the order given."""
        return tuple(m for m in self.methods if self.checkboxes[m].value)

    @value.setter
    def value(self, chosen: Sequence[str]) -> None:
        unknown = set(chosen) - set(self.methods)
        if unknown:
            from upscalekit._checks import unknown_name

            raise unknown_name("method", sorted(unknown)[0], self.methods)
        for m, cb in self.checkboxes.items():
            cb.value = m in chosen

    def picture(self) -> np.ndarray:
        """The checkboxes as drawn text (☑ chosen, ☐ not)."""
        import matplotlib.pyplot as plt

        from upscalekit.widgets.base import figure_to_rgb

        text = "   ".join(("☑ " if self.checkboxes[m].value else "☐ ") + m for m in self.methods)
        fig = plt.figure(figsize=(max(2.0, 0.09 * len(text)), 0.35), dpi=100)
        fig.text(0.01, 0.5, text, va="center", fontsize=10)
        return figure_to_rgb(fig)

    def observe(self, callback: Callable[[tuple[str, ...]], None]) -> None:
        """Call ``callback(chosen_methods)`` whenever a checkbox changes."""
        for cb in self.checkboxes.values():
            cb.observe(lambda _c: callback(self.value), names="value")


class ScaleCompare(Widget):
    """Choose a sample, methods and a scale; the chosen methods are (re-)run and shown side by side.

    Every ``(sample, method, scale)`` result is cached, so moving back to a scale is instant and a
    slow model runs once per setting.

    Parameters
    ----------
    samples
        Name → image, or a single image. By default each is the LR input itself.
    methods
        Method names offered by the picker.
    run
        ``run(method, lr, scale) -> image``, supplied by the caller (e.g. a model's ``upscale`` with
        ``outscale=scale``), so the widget works with any upscaler and tests can pass bicubic.
    scales
        Scales offered by the slider.
    selected
        Methods checked at start (default: all).
    make_lr
        ``make_lr(sample, scale) -> lr``: treat samples as ground truth and make the LR per scale
        (then the ground truth is shown as well, resized to the output size).
    display_px
        Displayed width of each result.

    Examples
    --------
    >>> import numpy as np
    >>> from upscalekit.resize import resize
    >>> run = lambda m, lr, s: resize(lr, scale=s, method=m)
    >>> sc = ScaleCompare(np.zeros((8, 8, 3), np.float32), ["bicubic"], run)
    >>> sc.scale.value = 2
    """

    def __init__(
        self,
        samples: Mapping[str, np.ndarray] | np.ndarray,
        methods: Sequence[str],
        run: Runner,
        *,
        scales: Sequence[int] = (2, 3, 4),
        scale: int | None = None,
        selected: Sequence[str] | None = None,
        make_lr: Callable[[np.ndarray, int], np.ndarray] | None = None,
        display_px: int = 256,
    ) -> None:
        import ipywidgets as w

        if isinstance(samples, np.ndarray):
            samples = {"sample": samples}
        if not samples:
            raise ValueError("ScaleCompare needs at least one sample image")
        if not callable(run):
            raise TypeError(
                f"run must be a callable run(method, lr, scale) -> image, got {type(run).__name__}"
            )
        self.samples = {str(k): check_image(v, str(k)) for k, v in samples.items()}
        self.run, self.make_lr, self.display_px = run, make_lr, int(display_px)
        scales = tuple(int(s) for s in scales)
        self.cache: dict[tuple[str, str, int], tuple[np.ndarray, float]] = {}
        self.picker = MethodPicker(methods, selected=selected)
        self.sample = w.Dropdown(options=list(self.samples), description="sample")
        self.scale = w.SelectionSlider(options=scales, value=scale if scale is not None else scales[-1],
                                       description="scale", continuous_update=False)
        self.status = w.HTML()
        self.row = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.results: dict[str, np.ndarray] = {}
        self.redraw_ms = 0.0
        self.picker.observe(lambda _m: self._redraw())
        self.sample.observe(lambda _c: self._redraw(), names="value")
        self.scale.observe(lambda _c: self._redraw(), names="value")
        self.control = self.scale
        self._labels: list[str] = []
        self.widget = w.VBox([w.HBox([self.sample, self.scale]), self.picker.widget, self.status, self.row])
        self.widget.add_class("upscalekit-scalecompare")
        self._redraw()

    def lr(self, sample: str, scale: int) -> np.ndarray:
        """The LR input the methods see for ``sample`` at ``scale``."""
        img = self.samples[sample]
        return check_image(self.make_lr(img, scale), "make_lr output") if self.make_lr else img

    def result(self, sample: str, method: str, scale: int) -> tuple[np.ndarray, float]:
        """``(output, seconds)`` for one setting; runs ``run`` only on a cache miss.

        ``seconds`` is the model's own run time: when ``run`` is a :func:`cached_run` that already
        held this setting (:func:`upscalekit.models.cached_run`), it is the time recorded when the
        model really ran, not the lookup.
        """
        key = (sample, method, int(scale))
        if key not in self.cache:
            lr = self.lr(sample, scale)
            t0 = time.perf_counter()
            out = check_image(self.run(method, lr, int(scale)), f"run({method!r}) output")
            secs = time.perf_counter() - t0
            recorded = getattr(self.run, "run_seconds", None)
            if recorded is not None:
                secs = recorded(method, lr, int(scale))
                secs = float("nan") if secs is None else secs
            self.cache[key] = (out, secs)
        return self.cache[key]

    def picture(self) -> np.ndarray:
        """The tiles now shown (ground truth first when there is one), in one row."""
        tiles = ([self.samples[self.sample.value]] if self.make_lr else []) + list(self.results.values())
        if not tiles:
            return np.ones((8, 8, 3), np.float32)
        px = self.display_px
        return side_by_side([resize(t, size=(max(1, round(t.shape[0] * px / t.shape[1])), px),
                                    method="area" if t.shape[1] > px else "nearest") for t in tiles])

    def caption(self) -> str:
        return " | ".join(self._labels)

    def _redraw(self) -> None:
        t0 = time.perf_counter()
        name, scale = self.sample.value, int(self.scale.value)
        self.results, tiles = {}, []
        labels = []
        if self.make_lr:
            gt = self.samples[name]
            labels.append("ground truth")
            tiles.append(labelled(labels[-1], image_view(gt, width=self.display_px)))
        for m in self.picker.value:
            self.status.value = f"running <code>{html.escape(m)}</code> at {scale}×…"
            out, secs = self.result(name, m, scale)
            self.results[m] = out
            timing = "time not recorded" if np.isnan(secs) else f"model ran {secs * 1e3:.0f} ms"
            labels.append(f"{m} ({out.shape[1]}×{out.shape[0]}, {timing})")
            tiles.append(labelled(labels[-1], image_view(out, width=self.display_px)))
        self.row.children = tiles
        self._labels = labels
        lr = self.lr(name, scale)
        self.status.value = f"{html.escape(name)}: LR {lr.shape[1]}×{lr.shape[0]} → {scale}×"
        self.redraw_ms = (time.perf_counter() - t0) * 1e3

"""Interactive comparison widgets for notebooks (ipywidgets).

Each widget is a small class holding an ipywidgets tree in ``.widget`` and
showing itself through ``_ipython_display_``. The widgets only wire sliders to
the pure functions at the top of this module (arrays in, arrays out, tested
without a browser); the image a widget shows is a PNG encoded once per redraw.
Everything that does not depend on a slider is computed once in ``__init__``
so that a redraw of a 512 × 512 view stays well under 200 ms on a CPU.

* :class:`SwipeCompare` — two images, a slider moves the split line.
* :class:`SyncZoom` — the same region from every candidate, side by side, nearest-neighbour magnified.
* :class:`MethodPicker` and :class:`ScaleCompare` — choose methods and a scale, re-run them (cached).
* :class:`HallucinationBudget` — ``bicubic + α·(model − bicubic)`` with the invented-detail map
  and the LR-consistency number following α.
* :class:`FrameScrubber` — step or play through video frames, with an optional heat-map overlay.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from upscalekit._checks import check_image, check_pair
from upscalekit.io import encode_png
from upscalekit.resize import resize

__all__ = [
    "FrameScrubber",
    "HallucinationBudget",
    "MethodPicker",
    "ScaleCompare",
    "SwipeCompare",
    "SyncZoom",
    "blend_residual",
    "cached_run",
    "draw_box",
    "heatmap_rgb",
    "overlay_heatmap",
    "side_by_side",
    "swipe_composite",
    "zoom_boxes",
    "zoom_crops",
]

Box = tuple[int, int, int, int]  # (top, left, bottom, right), bottom/right exclusive


# ----------------------------------------------------------------------------------------------
# Pure functions: arrays in, arrays out. The widgets below only call these.
# ----------------------------------------------------------------------------------------------


def _as_rgb(image: np.ndarray) -> np.ndarray:
    """Gray (H×W, H×W×1) → H×W×3; RGBA → RGB. Displays and tiles need one layout."""
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[2] == 1:
        return np.repeat(image, 3, axis=2)
    return image[..., :3]


def _nearest_to(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Nearest-neighbour resize by index mapping (exact pixel repetition for integer factors)."""
    h, w = image.shape[:2]
    rows = np.minimum(((np.arange(height) + 0.5) * h / height).astype(np.intp), h - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * w / width).astype(np.intp), w - 1)
    return image[rows][:, cols]


def swipe_composite(
    a: np.ndarray,
    b: np.ndarray,
    position: float,
    *,
    line_width: int = 2,
    line_color: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> np.ndarray:
    """Show ``a`` left of a vertical split line and ``b`` right of it.

    Parameters
    ----------
    a, b
        Images of the same shape (HWC float32 in [0, 1]; gray is shown as RGB).
    position
        Split as a fraction of the width in [0, 1]: columns ``< round(position * W)`` come from ``a``.
        0 shows only ``b``, 1 only ``a``.
    line_width
        Width in pixels of the split line drawn centred on the split (0 for none).
    line_color
        RGB colour of the line.

    Returns
    -------
    numpy.ndarray
        H×W×3 float32 composite (a new array).

    Examples
    --------
    >>> import numpy as np
    >>> a, b = np.zeros((2, 4, 3), np.float32), np.ones((2, 4, 3), np.float32)
    >>> swipe_composite(a, b, 0.5, line_width=0)[0, :, 0].tolist()
    [0.0, 0.0, 1.0, 1.0]
    """
    a, b = check_pair(a, b, ("a", "b"))
    if not 0.0 <= float(position) <= 1.0:
        raise ValueError(f"position must be a fraction of the width in [0, 1], got {position!r}")
    if int(line_width) < 0:
        raise ValueError(f"line_width must be >= 0 pixels, got {line_width!r}")
    return _swipe(_as_rgb(a), _as_rgb(b), float(position), int(line_width), line_color)


def _swipe(a: np.ndarray, b: np.ndarray, position: float, line_width: int,
           line_color: Sequence[float]) -> np.ndarray:
    # Validated inputs only; the widget calls this on arrays it checked once in __init__.
    w = a.shape[1]
    split = int(round(position * w))
    out = b.copy()
    out[:, :split] = a[:, :split]
    if line_width > 0:
        lo = max(0, split - line_width // 2)
        hi = min(w, lo + line_width)
        lo = max(0, hi - line_width)  # keep the full width at the right border too
        out[:, lo:hi] = np.asarray(line_color, dtype=out.dtype)[: out.shape[2]]
    return out


def zoom_boxes(
    shapes: Sequence[tuple[int, ...]], x: float, y: float, size: float
) -> list[Box]:
    """Pixel boxes of one region in several images of the same scene at different scales.

    The region is given in a frame common to all images: ``x``, ``y`` are its centre as
    fractions of width and height, ``size`` its side as a fraction of the shorter side. The box
    is snapped to the pixel grid of the coarsest image (smallest width) and scaled up from there,
    so a 4× candidate's box covers exactly the LR pixels of the LR box. Boxes are clamped inside
    the image: near a border the region slides instead of shrinking.

    Returns
    -------
    list of (top, left, bottom, right)
        One box per shape, bottom/right exclusive.

    Examples
    --------
    >>> zoom_boxes([(8, 8), (32, 32)], 0.5, 0.5, 0.25)
    [(3, 3, 5, 5), (12, 12, 20, 20)]
    """
    if not shapes:
        raise ValueError("zoom_boxes needs at least one image shape")
    for name, v in (("x", x), ("y", y)):
        if not 0.0 <= float(v) <= 1.0:
            raise ValueError(f"{name} is the region centre as a fraction in [0, 1], got {v!r}")
    if not 0.0 < float(size) <= 1.0:
        raise ValueError(f"size is the region side as a fraction of the shorter side in (0, 1], got {size!r}")
    ref_h, ref_w = _coarsest(shapes)
    side = int(min(max(1, round(size * min(ref_h, ref_w))), min(ref_h, ref_w)))
    x0 = int(min(max(0, round(x * ref_w - side / 2)), ref_w - side))
    y0 = int(min(max(0, round(y * ref_h - side / 2)), ref_h - side))
    boxes = []
    for s in shapes:
        ry, rx = s[0] / ref_h, s[1] / ref_w
        top, left = int(round(y0 * ry)), int(round(x0 * rx))
        bottom = int(min(s[0], max(top + 1, round((y0 + side) * ry))))
        right = int(min(s[1], max(left + 1, round((x0 + side) * rx))))
        boxes.append((min(top, bottom - 1), min(left, right - 1), bottom, right))
    return boxes


def _coarsest(shapes: Sequence[tuple[int, ...]]) -> tuple[int, int]:
    h, w = min(((int(s[0]), int(s[1])) for s in shapes), key=lambda hw: (hw[1], hw[0]))
    return h, w


def zoom_crops(
    images: Mapping[str, np.ndarray],
    x: float,
    y: float,
    size: float,
    magnify: int = 4,
) -> dict[str, np.ndarray]:
    """The same region cropped from every candidate, all magnified to one size by nearest neighbour.

    Parameters
    ----------
    images
        Name → image. Candidates may have different scales (an LR input next to its 4× outputs);
        the region is located in a common normalised frame (see :func:`zoom_boxes`).
    x, y
        Region centre as fractions of width and height, in [0, 1].
    size
        Region side as a fraction of the shorter side, in (0, 1].
    magnify
        Integer magnification of the finest candidate's crop; coarser crops are repeated more, so
        every output is ``magnify × (finest crop side)`` pixels and one LR pixel becomes a visible block.

    Returns
    -------
    dict
        Name → H×W×3 float32 crop, all the same shape, in the order of ``images``.

    Examples
    --------
    >>> import numpy as np
    >>> lr, sr = np.zeros((8, 8, 3), np.float32), np.zeros((32, 32, 3), np.float32)
    >>> {k: v.shape for k, v in zoom_crops({"lr": lr, "sr": sr}, 0.5, 0.5, 0.25, 2).items()}
    {'lr': (16, 16, 3), 'sr': (16, 16, 3)}
    """
    if not images:
        raise ValueError("zoom_crops needs at least one image (a dict name → image)")
    if int(magnify) != magnify or magnify < 1:
        raise ValueError(f"magnify must be an integer >= 1, got {magnify!r}")
    checked = {k: check_image(v, str(k)) for k, v in images.items()}
    boxes = zoom_boxes([v.shape for v in checked.values()], x, y, size)
    return _crops(checked, boxes, int(magnify))


def _crops(images: Mapping[str, np.ndarray], boxes: Sequence[Box], magnify: int) -> dict[str, np.ndarray]:
    out_h = magnify * max(b[2] - b[0] for b in boxes)
    out_w = magnify * max(b[3] - b[1] for b in boxes)
    return {
        k: _nearest_to(_as_rgb(v[t:btm, lft:rgt]), out_h, out_w)
        for (k, v), (t, lft, btm, rgt) in zip(images.items(), boxes, strict=True)
    }


def _scale_box(box: Box, src: tuple[int, ...], dst: tuple[int, ...]) -> Box:
    # Map a box between two sizes of one image, keeping at least one pixel and staying inside.
    sy, sx = dst[0] / src[0], dst[1] / src[1]
    t = min(int(box[0] * sy), dst[0] - 1)
    lft = min(int(box[1] * sx), dst[1] - 1)
    return t, lft, min(dst[0], max(t + 1, round(box[2] * sy))), min(dst[1], max(lft + 1, round(box[3] * sx)))


def side_by_side(images: Sequence[np.ndarray], *, gap: int = 4, background: float = 1.0) -> np.ndarray:
    """Tile images left to right with a gap, top-aligned, padding shorter ones with ``background``.

    Examples
    --------
    >>> import numpy as np
    >>> side_by_side([np.zeros((2, 3, 3), np.float32), np.zeros((4, 1, 3), np.float32)], gap=2).shape
    (4, 6, 3)
    """
    if not images:
        raise ValueError("side_by_side needs at least one image")
    if gap < 0:
        raise ValueError(f"gap must be >= 0 pixels, got {gap!r}")
    tiles = [_as_rgb(check_image(im, f"images[{i}]")) for i, im in enumerate(images)]
    h = max(t.shape[0] for t in tiles)
    w = sum(t.shape[1] for t in tiles) + gap * (len(tiles) - 1)
    out = np.full((h, w, 3), background, np.float32)
    x = 0
    for t in tiles:
        out[: t.shape[0], x : x + t.shape[1]] = t
        x += t.shape[1] + gap
    return out


def draw_box(
    image: np.ndarray,
    box: Box,
    *,
    color: tuple[float, float, float] = (1.0, 0.2, 0.2),
    width: int = 2,
) -> np.ndarray:
    """Return a copy of ``image`` (as RGB) with the outline of ``box`` drawn inside its edges.

    Examples
    --------
    >>> import numpy as np
    >>> out = draw_box(np.zeros((6, 6, 3), np.float32), (1, 1, 5, 5), width=1)
    >>> int(out[1, 1, 0] > 0), int(out[2, 2, 0] > 0)
    (1, 0)
    """
    out = _as_rgb(check_image(image)).copy()
    t, lft, b, r = (int(v) for v in box)
    if not (0 <= t < b <= out.shape[0] and 0 <= lft < r <= out.shape[1]):
        raise ValueError(f"box {box} is not a non-empty (top, left, bottom, right) inside {out.shape[:2]}")
    c = np.asarray(color, np.float32)
    wd = max(1, int(width))
    out[t : min(b, t + wd), lft:r] = c
    out[max(t, b - wd) : b, lft:r] = c
    out[t:b, lft : min(r, lft + wd)] = c
    out[t:b, max(lft, r - wd) : r] = c
    return out


def blend_residual(base: np.ndarray, model: np.ndarray, alpha: float) -> np.ndarray:
    """``base + alpha · (model − base)``, clipped to [0, 1]: dial a model's invented detail up or down.

    ``alpha = 0`` gives the baseline (bicubic: nothing invented), 1 the model output, above 1 an
    exaggeration that makes the invented texture obvious.

    Examples
    --------
    >>> import numpy as np
    >>> base, model = np.full((1, 1, 3), 0.2, np.float32), np.full((1, 1, 3), 0.6, np.float32)
    >>> round(float(blend_residual(base, model, 0.5)[0, 0, 0]), 4)
    0.4
    """
    base, model = check_pair(base, model, ("base", "model"))
    if not np.isfinite(alpha):
        raise ValueError(f"alpha must be a finite number, got {alpha!r}")
    return _blend(base, model - base, float(alpha))


def _blend(base: np.ndarray, residual: np.ndarray, alpha: float) -> np.ndarray:
    out = base + np.float32(alpha) * residual
    np.clip(out, 0.0, 1.0, out=out)
    return out


@lru_cache(maxsize=8)
def _colormap_lut(cmap: str) -> np.ndarray:
    import matplotlib

    try:
        cm = matplotlib.colormaps[cmap]
    except KeyError:
        from upscalekit._checks import unknown_name

        raise unknown_name("matplotlib colormap", cmap, list(matplotlib.colormaps)) from None
    return np.asarray(cm(np.linspace(0.0, 1.0, 256))[:, :3], np.float32)


def heatmap_rgb(values: np.ndarray, *, vmax: float | None = None, cmap: str = "magma") -> np.ndarray:
    """Colour an H×W map of non-negative values: 0 → the colormap's start, ``vmax`` and above → its end.

    Parameters
    ----------
    values
        H×W (or H×W×C, averaged over channels) array, ``>= 0``.
    vmax
        Value shown at full colour; default the map's maximum. Pass a fixed ``vmax`` to keep
        colours comparable between frames or slider positions.
    cmap
        A matplotlib colormap name.

    Examples
    --------
    >>> import numpy as np
    >>> heatmap_rgb(np.array([[0.0, 1.0]], np.float32)).shape
    (1, 2, 3)
    """
    v = np.asarray(values, np.float32)
    if v.ndim == 3:
        v = v.mean(axis=2)
    if v.ndim != 2:
        raise ValueError(f"values must be an H×W map, got shape {v.shape}")
    if not np.isfinite(v).all():
        raise ValueError("values contain NaN/inf; a heat map needs finite numbers")
    top = float(v.max()) if vmax is None else float(vmax)
    idx = np.clip(v * (255.0 / top), 0, 255).astype(np.uint8) if top > 0 else np.zeros(v.shape, np.uint8)
    return _colormap_lut(cmap)[idx]


def overlay_heatmap(
    image: np.ndarray,
    heat: np.ndarray,
    opacity: float,
    *,
    vmax: float | None = None,
    cmap: str = "magma",
) -> np.ndarray:
    """Alpha-blend a coloured heat map over an image: ``(1 − opacity) · image + opacity · colour(heat)``.

    ``heat`` of another size than ``image`` is resized to it (bilinear), so an LR-sized map can
    lie over an HR frame.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((2, 2, 3), np.float32)
    >>> bool((overlay_heatmap(img, np.ones((2, 2), np.float32), 0.0) == 0).all())
    True
    """
    image = _as_rgb(check_image(image))
    if not 0.0 <= float(opacity) <= 1.0:
        raise ValueError(f"opacity must be in [0, 1], got {opacity!r}")
    heat = np.asarray(heat, np.float32)
    if heat.ndim == 3:
        heat = heat.mean(axis=2)
    if heat.shape != image.shape[:2]:
        heat = _resize_any(heat, image.shape[:2])
    colour = heatmap_rgb(heat, vmax=vmax, cmap=cmap)
    return (1.0 - np.float32(opacity)) * image + np.float32(opacity) * colour


def _resize_any(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    # resize() checks for [0, 1] images; a heat map may hold any non-negative scale, so normalise around it.
    if not np.isfinite(values).all() or values.min() < 0:
        raise ValueError("a heat map must hold finite values >= 0")
    top = float(values.max()) or 1.0
    return resize(values / top, size=size, method="bilinear") * top


def _invented_local(lr: np.ndarray, sr: np.ndarray) -> np.ndarray:
    """|SR − bicubic(LR)| averaged over channels: what the output holds beyond interpolation."""
    up = resize(lr, size=sr.shape[:2], method="bicubic")
    return np.abs(_as_rgb(sr) - _as_rgb(up)).mean(axis=2)


def _lr_consistency_local(lr: np.ndarray, sr: np.ndarray) -> float:
    """PSNR (dB) between LR and the SR output downscaled back to LR size with the same bicubic kernel."""
    down = resize(sr, size=lr.shape[:2], method="bicubic")
    mse = float(np.mean((_as_rgb(down).astype(np.float64) - _as_rgb(lr)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(1.0 / mse)


# ----------------------------------------------------------------------------------------------
# Widget plumbing
# ----------------------------------------------------------------------------------------------




def _image_widget(image: np.ndarray | None = None, *, width: int | None = None) -> Any:
    import ipywidgets as w

    layout = w.Layout(width=f"{width}px") if width else w.Layout()
    return w.Image(value=encode_png(image) if image is not None else b"", format="png", layout=layout)


def _labelled(label: str, child: Any) -> Any:
    import ipywidgets as w

    return w.VBox([w.HTML(f"<b>{_escape(label)}</b>"), child])


def _escape(text: str) -> str:
    import html

    return html.escape(str(text))


class _Widget:
    """Base: holds the ipywidgets tree in ``.widget`` and shows it when the object is displayed."""

    widget: Any

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


# ----------------------------------------------------------------------------------------------
# Widgets
# ----------------------------------------------------------------------------------------------


class SwipeCompare(_Widget):
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

        a = _as_rgb(check_image(a, "a"))
        b = _as_rgb(check_image(b, "b"))
        h, wd = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
        self.a = a if a.shape[:2] == (h, wd) else _nearest_to(a, h, wd)
        self.b = b if b.shape[:2] == (h, wd) else _nearest_to(b, h, wd)
        self.labels = tuple(labels)
        shown = int(width or wd)
        self.slider = w.FloatSlider(
            value=float(position), min=0.0, max=1.0, step=0.01, readout_format=".2f",
            continuous_update=True, layout=w.Layout(width=f"{max(shown, 200)}px"),
        )
        self.image = _image_widget(width=width)
        self.redraw_ms = 0.0
        self.slider.observe(lambda _c: self._redraw(), names="value")
        names = w.HBox([w.HTML(f"◀ <b>{_escape(labels[0])}</b>"), w.HTML(f"<b>{_escape(labels[1])}</b> ▶")],
                       layout=w.Layout(width=f"{max(shown, 200)}px", justify_content="space-between"))
        self.widget = w.VBox([names, self.slider, self.image], layout=w.Layout(width="max-content"))
        self.widget.add_class("upscalekit-swipe")
        self._redraw()

    def _redraw(self) -> None:
        t0 = time.perf_counter()
        self.image.value = encode_png(_swipe(self.a, self.b, self.slider.value, 2, (1.0, 1.0, 1.0)))
        self.redraw_ms = (time.perf_counter() - t0) * 1e3


class SyncZoom(_Widget):
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
        self.images = {str(k): _as_rgb(check_image(v, str(k))) for k, v in images.items()}
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
        self.overview = _image_widget()
        self.crops = {k: _image_widget() for k in self.images}
        self.redraw_ms = 0.0
        for s in (self.x, self.y, self.size):
            s.observe(lambda _c: self._redraw(), names="value")
        controls = w.VBox([self.x, self.y, self.size, self.overview])
        tiles = w.HBox([_labelled(k, im) for k, im in self.crops.items()],
                       layout=w.Layout(flex_flow="row wrap"))
        self.widget = w.HBox([controls, tiles])
        self.widget.add_class("upscalekit-synczoom")
        self._redraw()

    def _redraw(self) -> None:
        t0 = time.perf_counter()
        boxes = zoom_boxes([v.shape for v in self.images.values()], self.x.value, self.y.value,
                           self.size.value)
        finest = max(b[3] - b[1] for b in boxes)
        magnify = max(1, self.crop_px // finest)
        crops = _crops(self.images, boxes, magnify)
        for k, c in crops.items():
            self.crops[k].value = encode_png(c)
        first = next(iter(self.images.values()))
        box = _scale_box(boxes[0], first.shape, self._overview.shape)
        self.overview.value = encode_png(draw_box(self._overview, box, width=2))
        self.redraw_ms = (time.perf_counter() - t0) * 1e3


class MethodPicker(_Widget):
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
        return tuple(m for m in self.methods if self.checkboxes[m].value)

    def observe(self, callback: Callable[[tuple[str, ...]], None]) -> None:
        """Call ``callback(chosen_methods)`` whenever a checkbox changes."""
        for cb in self.checkboxes.values():
            cb.observe(lambda _c: callback(self.value), names="value")


Runner = Callable[[str, np.ndarray, int], np.ndarray]


def cached_run(run: Runner) -> Runner:
    """Memoise ``run(method, lr, scale)`` by method, scale and the LR's exact pixels.

    A notebook can then share one slow model run between its tables and its widgets: a
    :class:`ScaleCompare` that rebuilds an LR identical to one already upscaled gets the stored
    output instead of running the model again. The store is ``wrapped.cache`` (a dict).

    Examples
    --------
    >>> import numpy as np
    >>> from upscalekit.resize import resize
    >>> run = cached_run(lambda m, lr, s: resize(lr, scale=s, method=m))
    >>> lr = np.zeros((4, 4, 3), np.float32)
    >>> run("bicubic", lr, 2) is run("bicubic", lr.copy(), 2)
    True
    """
    import hashlib

    store: dict[tuple[str, int, tuple[int, ...], str, str], np.ndarray] = {}

    def wrapped(method: str, lr: np.ndarray, scale: int) -> np.ndarray:
        arr = np.ascontiguousarray(lr)
        key = (str(method), int(scale), arr.shape, str(arr.dtype), hashlib.sha1(arr.tobytes()).hexdigest())
        if key not in store:
            store[key] = run(method, lr, scale)
        return store[key]

    wrapped.cache = store  # type: ignore[attr-defined]
    return wrapped


class ScaleCompare(_Widget):
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
        self.widget = w.VBox([w.HBox([self.sample, self.scale]), self.picker.widget, self.status, self.row])
        self.widget.add_class("upscalekit-scalecompare")
        self._redraw()

    def lr(self, sample: str, scale: int) -> np.ndarray:
        """The LR input the methods see for ``sample`` at ``scale``."""
        img = self.samples[sample]
        return check_image(self.make_lr(img, scale), "make_lr output") if self.make_lr else img

    def result(self, sample: str, method: str, scale: int) -> tuple[np.ndarray, float]:
        """``(output, seconds)`` for one setting; runs ``run`` only on a cache miss."""
        key = (sample, method, int(scale))
        if key not in self.cache:
            t0 = time.perf_counter()
            out = check_image(self.run(method, self.lr(sample, scale), int(scale)), f"run({method!r}) output")
            self.cache[key] = (out, time.perf_counter() - t0)
        return self.cache[key]

    def _redraw(self) -> None:
        t0 = time.perf_counter()
        name, scale = self.sample.value, int(self.scale.value)
        self.results, tiles = {}, []
        if self.make_lr:
            gt = self.samples[name]
            tiles.append(_labelled("ground truth", _image_widget(gt, width=self.display_px)))
        for m in self.picker.value:
            self.status.value = f"running <code>{_escape(m)}</code> at {scale}×…"
            out, secs = self.result(name, m, scale)
            self.results[m] = out
            tiles.append(_labelled(f"{m} ({out.shape[1]}×{out.shape[0]}, {secs * 1e3:.0f} ms)",
                                   _image_widget(out, width=self.display_px)))
        self.row.children = tiles
        lr = self.lr(name, scale)
        self.status.value = f"{_escape(name)}: LR {lr.shape[1]}×{lr.shape[0]} → {scale}×"
        self.redraw_ms = (time.perf_counter() - t0) * 1e3


class HallucinationBudget(_Widget):
    """Dial a model's invented detail: output = baseline + α·(model − baseline), α from 0 to 1.5.

    α = 0 is the baseline interpolation (invents nothing), 1 the model, 1.5 an exaggeration.
    Beside the output: the invented-detail map (colour scale fixed at α = max so the colours
    compare between positions) and the LR-consistency number: how well the output, downscaled,
    reproduces the LR input. ``upscalekit.metrics`` provides both when installed; otherwise simple
    local versions are used (|output − bicubic(LR)| and PSNR of the re-downscaled output, in dB).

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
        self._residual = self.model - self.base
        self._consistency, self._invented = _metric_functions()
        self.cmap = cmap
        self.vmax = max(1e-6, float(np.percentile(
            self._invented(self.lr, _blend(self.base, self._residual, max_alpha)), 99.5)))
        self.alpha = w.FloatSlider(value=alpha, min=0.0, max=max_alpha, step=step, description="α",
                                   continuous_update=True, readout_format=".2f")
        self.image = _image_widget(width=width)
        self.heat = _image_widget(width=width)
        self.readout = w.HTML()
        self.output = self.base
        self.lr_consistency = float("nan")
        self.invented_mean = float("nan")
        self.redraw_ms = 0.0
        self._cache: OrderedDict[float, tuple[bytes, bytes, float, float, np.ndarray]] = OrderedDict()
        self.alpha.observe(lambda _c: self._redraw(), names="value")
        views = w.HBox([_labelled("output", self.image), _labelled("invented detail", self.heat)])
        self.widget = w.VBox([w.HBox([self.alpha, self.readout]), views])
        self.widget.add_class("upscalekit-budget")
        self._redraw()

    def _redraw(self) -> None:
        t0 = time.perf_counter()
        a = round(float(self.alpha.value), 6)
        if a not in self._cache:
            out = _blend(self.base, self._residual, a)
            imap = self._invented(self.lr, out)
            entry = (encode_png(out), encode_png(heatmap_rgb(imap, vmax=self.vmax, cmap=self.cmap)),
                     float(self._consistency(self.lr, out)), float(np.mean(imap)), out)
            self._cache[a] = entry
            while len(self._cache) > 64:
                self._cache.popitem(last=False)
        png, heat, self.lr_consistency, self.invented_mean, self.output = self._cache[a]
        self.image.value, self.heat.value = png, heat
        self.readout.value = (f"α = {a:.2f} · LR consistency <b>{self.lr_consistency:.2f} dB</b> · "
                              f"mean invented detail <b>{self.invented_mean:.4f}</b>")
        self.redraw_ms = (time.perf_counter() - t0) * 1e3


def _metric_functions() -> tuple[Callable[[np.ndarray, np.ndarray], float],
                                 Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    """(lr_consistency, invented-detail map) from upscalekit.metrics when present, else local versions."""
    try:
        from upscalekit import metrics
    except ImportError:
        return _lr_consistency_local, _invented_local
    cons = getattr(metrics, "lr_consistency", None)
    inv = getattr(metrics, "invented_detail", None)

    def consistency(lr: np.ndarray, sr: np.ndarray) -> float:
        return float(_score(cons(lr, sr))) if cons else _lr_consistency_local(lr, sr)

    def invented(lr: np.ndarray, sr: np.ndarray) -> np.ndarray:
        if inv is None:
            return _invented_local(lr, sr)
        try:
            res = inv(lr, sr, full=True)
        except TypeError:
            return _invented_local(lr, sr)
        m = res[1] if isinstance(res, tuple) else getattr(res, "map", None)
        return np.asarray(m, np.float32) if m is not None else _invented_local(lr, sr)

    return consistency, invented


def _score(result: Any) -> float:
    # A metric may return a float or a result object with a .score / .psnr; take the number.
    if isinstance(result, tuple):
        result = result[0]
    for attr in ("score", "psnr", "value"):
        if hasattr(result, attr):
            return float(getattr(result, attr))
    return float(result)


class FrameScrubber(_Widget):
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
        self.streams = {str(k): [_as_rgb(check_image(f, f"{k}[{i}]")) for i, f in enumerate(v)]
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
        self.images = {k: _image_widget(width=width) for k in self.streams}
        self.redraw_ms = 0.0
        self._cache: OrderedDict[tuple[str, int, float], bytes] = OrderedDict()
        self.frame.observe(lambda _c: self._redraw(), names="value")
        self.opacity.observe(lambda _c: self._redraw(), names="value")
        self.widget = w.VBox([w.HBox([self.play, self.frame, self.opacity]),
                              w.HBox([_labelled(k, im) for k, im in self.images.items()])])
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

"""Pure display helpers: arrays in, arrays out — what every widget and figure of the kit draws with.

Presentation layer, but no ipywidgets and no matplotlib state: each function takes HWC float32
images in [0, 1] and returns a new one, so tests check them pixel by pixel without a browser.

* :func:`swipe_composite` — two images split by a vertical line.
* :func:`zoom_boxes`, :func:`zoom_crops`, :func:`draw_box` — one region in images of different scales
  (boxes are :class:`upscalekit.pixels.Box`).
* :func:`side_by_side`, :func:`tile_grid` — images in a row or a grid.
* :func:`heatmap_rgb`, :func:`overlay_heatmap` — colour a map and lay it over an image.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np

from upscalekit._checks import check_image, check_pair
from upscalekit.pixels import Box, as_rgb
from upscalekit.resize import resize

__all__ = [
    "draw_box",
    "heatmap_rgb",
    "crops_at",
    "nearest_to",
    "overlay_heatmap",
    "side_by_side",
    "side_by_side_vertical",
    "swipe_composite",
    "tile_grid",
    "zoom_boxes",
    "zoom_crops",
]


def nearest_to(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Nearest-neighbour resize by index mapping (exact pixel repetition for integer factors).

    Examples
    --------
    >>> import numpy as np
    >>> nearest_to(np.arange(4.0).reshape(2, 2), 4, 4)[:, 0].tolist()
    [0.0, 0.0, 2.0, 2.0]
    """
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
    return _swipe(as_rgb(a), as_rgb(b), float(position), int(line_width), line_color)


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
    list of Box
        One :class:`~upscalekit.pixels.Box` per shape.

    Examples
    --------
    >>> [tuple(b) for b in zoom_boxes([(8, 8), (32, 32)], 0.5, 0.5, 0.25)]
    [(3, 3, 5, 5), (12, 12, 20, 20)]
    """
    if not shapes:
        raise ValueError("zoom_boxes needs at least one image shape")
    ref = _coarsest(shapes)
    b = Box.from_fractions(ref, x=x, y=y, size=size)
    boxes = []
    for s in shapes:
        ry, rx = s[0] / ref[0], s[1] / ref[1]
        top, left = int(round(b.top * ry)), int(round(b.left * rx))
        bottom = int(min(s[0], max(top + 1, round(b.bottom * ry))))
        right = int(min(s[1], max(left + 1, round(b.right * rx))))
        boxes.append(Box(min(top, bottom - 1), min(left, right - 1), bottom, right))
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
    return crops_at(checked, boxes, magnify=int(magnify))


def crops_at(
    images: Mapping[str, np.ndarray], boxes: Sequence[Box], *, magnify: int
) -> dict[str, np.ndarray]:
    """Cut ``boxes`` (one per image, e.g. from :func:`zoom_boxes`) and bring all crops to one size.

    The output side is ``magnify ×`` the largest crop; smaller crops are repeated by nearest
    neighbour, so one LR pixel becomes a visible block beside the SR pixels it turned into.
    """
    out_h = magnify * max(b[2] - b[0] for b in boxes)
    out_w = magnify * max(b[3] - b[1] for b in boxes)
    return {
        k: nearest_to(as_rgb(v[t:btm, lft:rgt]), out_h, out_w)
        for (k, v), (t, lft, btm, rgt) in zip(images.items(), boxes, strict=True)
    }


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
    tiles = [as_rgb(check_image(im, f"images[{i}]")) for i, im in enumerate(images)]
    h = max(t.shape[0] for t in tiles)
    w = sum(t.shape[1] for t in tiles) + gap * (len(tiles) - 1)
    out = np.full((h, w, 3), background, np.float32)
    x = 0
    for t in tiles:
        out[: t.shape[0], x : x + t.shape[1]] = t
        x += t.shape[1] + gap
    return out


def tile_grid(
    images: Sequence[np.ndarray], *, columns: int, gap: int = 4, background: float = 1.0
) -> np.ndarray:
    """Images in rows of ``columns`` (row-major), each row made by :func:`side_by_side`, rows left-aligned.

    Examples
    --------
    >>> import numpy as np
    >>> tile_grid([np.zeros((2, 2, 3), np.float32)] * 3, columns=2, gap=1).shape
    (5, 5, 3)
    """
    if not images:
        raise ValueError("tile_grid needs at least one image")
    if int(columns) < 1:
        raise ValueError(f"columns must be >= 1, got {columns!r}")
    c = int(columns)
    rows = [side_by_side(images[i:i + c], gap=gap, background=background) for i in range(0, len(images), c)]
    return side_by_side_vertical(rows, gap=gap, background=background)


def side_by_side_vertical(
    images: Sequence[np.ndarray], *, gap: int = 4, background: float = 1.0
) -> np.ndarray:
    """Stack images top to bottom with a gap, left-aligned (the transpose of :func:`side_by_side`).

    Examples
    --------
    >>> import numpy as np
    >>> side_by_side_vertical([np.zeros((2, 3, 3), np.float32), np.zeros((1, 1, 3), np.float32)], gap=1).shape
    (4, 3, 3)
    """
    t = [np.swapaxes(as_rgb(check_image(im, f"images[{i}]")), 0, 1) for i, im in enumerate(images)]
    return np.ascontiguousarray(np.swapaxes(side_by_side(t, gap=gap, background=background), 0, 1))


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
    out = as_rgb(check_image(image)).copy()
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
    opacity: float = 0.5,
    *,
    vmax: float | None = None,
    cmap: str = "magma",
) -> np.ndarray:
    """Lay a coloured heat map over an image where it is strong; where it is zero the image shows as is.

    With ``h = clip(heat / vmax, 0, 1)`` each pixel is ``(1 − opacity·h) · image + opacity·h · colour(h)``:
    the kit's one overlay, used by the diagnosis report, its explorer, the frame scrubber and the
    video viewer alike. ``heat`` of another size than ``image`` is resized to it (bilinear), so an
    LR-sized map can lie over an HR frame.

    Parameters
    ----------
    image
        HWC image (gray is shown as RGB).
    heat
        H×W map ``>= 0`` (H×W×C is averaged over channels).
    opacity
        Opacity where the map reaches ``vmax``, in [0, 1].
    vmax
        Map value shown at full strength; default the map's maximum. Detectors' maps are in [0, 1]:
        pass ``vmax=1`` so a weak map stays faint; pass one value for all frames of a video.
    cmap
        A matplotlib colormap name.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((1, 2, 3), 0.5, np.float32)
    >>> out = overlay_heatmap(img, np.array([[0.0, 1.0]], np.float32), 1.0, vmax=1.0)
    >>> out[0, 0].tolist(), bool((out[0, 1] == heatmap_rgb(np.ones((1, 1)))[0, 0]).all())
    ([0.5, 0.5, 0.5], True)
    """
    image = as_rgb(check_image(image))
    if not 0.0 <= float(opacity) <= 1.0:
        raise ValueError(f"opacity must be in [0, 1], got {opacity!r}")
    heat = np.asarray(heat, np.float32)
    if heat.ndim == 3:
        heat = heat.mean(axis=2)
    if heat.ndim != 2:
        raise ValueError(f"heat must be an H×W map, got shape {heat.shape}")
    if heat.shape != image.shape[:2]:
        heat = _resize_any(heat, image.shape[:2])
    top = float(heat.max()) if vmax is None else float(vmax)
    h = np.clip(heat / top, 0.0, 1.0) if top > 0 else np.zeros_like(heat)
    colour = heatmap_rgb(h, vmax=1.0, cmap=cmap)
    alpha = (np.float32(opacity) * h)[..., None]
    out = (1.0 - alpha) * image + alpha * colour
    return np.clip(out, 0.0, 1.0, out=out).astype(np.float32, copy=False)


def _resize_any(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    # resize() checks for [0, 1] images; a heat map may hold any non-negative scale, so normalise around it.
    if not np.isfinite(values).all() or values.min() < 0:
        raise ValueError("a heat map must hold finite values >= 0")
    top = float(values.max()) or 1.0
    return resize(values / top, size=size, method="bilinear") * top

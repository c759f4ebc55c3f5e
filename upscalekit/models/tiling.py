"""Run a network over overlapping tiles and blend them so the seams disappear.

A big image does not fit a network's memory in one piece, and naive tiling leaves seams:
near a tile's edge the network sees zero padding instead of the real neighbours. Here each
tile is run with ``overlap`` pixels of real context on every side (discarded afterwards),
adjacent tiles share a band ``2 × overlap`` wide, and inside that band their outputs are
blended with complementary raised-cosine ramps (a feathered window), so an output pixel gets
its weight mostly from tiles whose edges are ``2 × overlap`` input pixels or more away.
At the image's own borders nothing is padded, exactly as in an untiled run.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["auto_tile", "free_memory", "overhead", "run_tiled", "tile_ranges"]


def tile_ranges(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """Split ``[0, length)`` into tiles of ``tile`` pixels sharing ``2 * overlap`` with each neighbour.

    The last tile is moved back to end at ``length`` (it may then share more).

    Examples
    --------
    >>> tile_ranges(100, 40, 4)
    [(0, 40), (32, 72), (60, 100)]
    """
    if tile >= length:
        return [(0, length)]
    stride = tile - 2 * overlap
    if stride <= 0:
        raise ValueError(
            f"tile={tile} must be larger than 2 × tile_overlap = {2 * overlap}; use a bigger tile "
            "or a smaller tile_overlap"
        )
    starts = list(range(0, length - tile, stride)) + [length - tile]
    return [(s, s + tile) for s in starts]


def overhead(height: int, width: int, tile: int | None, overlap: int, *, abut: bool = False) -> float:
    """Pixels computed / pixels kept when tiling a ``height × width`` input (1.0 untiled).

    Each tile is computed with ``overlap`` pixels of context on every side (clipped at the
    image border). With tile side ``T`` the work per kept pixel is about ``(T + 2·overlap) /
    (T − 2·overlap)`` per axis here: the blend needs every kept pixel to be about ``2 × overlap``
    from the computed edge of the tiles it draws half its weight from.
    ``abut=False``: this module's layout (:func:`tile_ranges`, neighbours share
    ``2 × overlap``); ``abut=True``: tiles of ``tile`` pixels that abut, each padded by
    ``overlap`` (the official ``RealESRGANer`` with ``tile_pad = overlap``). The grid is
    separable, so the factor is the product of the two axes' factors.

    Examples
    --------
    >>> overhead(512, 512, None, 32)
    1.0
    >>> overhead(512, 512, 128, 32)  # 128-px tiles, 32 px of context and a 64-px shared band
    6.25
    >>> round(overhead(512, 512, 128, 10, abut=True), 2)  # official: 128-px tiles, tile_pad 10
    1.25
    """

    def axis(length: int) -> int:
        if tile is None or tile >= length:
            return length
        if abut:
            spans = [(s, min(s + tile, length)) for s in range(0, length, tile)]
        else:
            spans = tile_ranges(length, tile, overlap)
        return sum(min(length, b + overlap) - max(0, a - overlap) for a, b in spans)

    if tile is None or (tile >= height and tile >= width):
        return 1.0
    return axis(height) * axis(width) / (height * width)


def _ramp(n: int, band: int, left: bool, right: bool) -> torch.Tensor:
    import torch

    w = torch.ones(n)
    band = min(band, n)
    if band > 0:
        # raised cosine: sin² rises from ~0 and its mirror cos² falls, so two tiles sharing the band sum
        # to 1; compared with a linear ramp it gives even less weight to pixels near a tile's edge
        r = torch.sin(0.5 * math.pi * (torch.arange(band, dtype=torch.float64) + 0.5) / band).float() ** 2
        if left:
            w[:band] = torch.minimum(w[:band], r)
        if right:
            w[n - band:] = torch.minimum(w[n - band:], r.flip(0))
    return w


def run_tiled(
    fn: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    *,
    scale: int,
    tile: int | None,
    overlap: int = 16,
    progress: bool | None = None,
) -> torch.Tensor:
    """Apply an image-to-image network ``fn`` (×``scale``) to ``x`` (1×C×H×W) tile by tile.

    Parameters
    ----------
    fn
        Maps a 1×C×h×w tensor to 1×C'×(h·scale)×(w·scale).
    x
        Input tensor (on the network's device and dtype).
    tile
        Tile side in input pixels, ``None`` for one untiled pass.
    overlap
        Context and half-blend width in input pixels.
    progress
        Show a tqdm bar; ``None``: only when there are 8 tiles or more.

    Returns
    -------
    torch.Tensor
        float32 output on the CPU (the blended image is assembled in host memory so only one
        tile at a time occupies the device); when tiled, with channels-last strides, so its
        NumPy HWC view is free. Besides this result, memory stays level as the image grows
        (one tile's activations and two 1-D weight profiles).

    Examples
    --------
    >>> import torch
    >>> up = lambda t: torch.nn.functional.interpolate(t, scale_factor=2, mode="nearest")
    >>> run_tiled(up, torch.rand(1, 3, 40, 40), scale=2, tile=24, overlap=4).shape
    torch.Size([1, 3, 80, 80])
    """
    import torch

    _, _, h, w = x.shape
    if overlap < 0:
        raise ValueError(f"tile_overlap must be ≥ 0, got {overlap}")
    if tile is None or (tile >= h and tile >= w):
        return fn(x).float().cpu()
    ys, xs = tile_ranges(h, tile, overlap), tile_ranges(w, tile, overlap)
    s = scale
    out: torch.Tensor | None = None
    # The weights form a grid (each tile's window is wy ⊗ wx), so their sum is separable too:
    # two 1-D profiles instead of a full-resolution weight image (less memory as images grow).
    ysum, xsum = torch.zeros(h * s), torch.zeros(w * s)
    for y0, y1 in ys:
        ysum[y0 * s:y1 * s] += _ramp((y1 - y0) * s, 2 * overlap * s, y0 > 0, y1 < h)
    for x0, x1 in xs:
        xsum[x0 * s:x1 * s] += _ramp((x1 - x0) * s, 2 * overlap * s, x0 > 0, x1 < w)
    from tqdm.auto import tqdm

    show = len(ys) * len(xs) >= 8 if progress is None else progress
    with tqdm(total=len(ys) * len(xs), desc="tiles", disable=not show, leave=False) as bar:
        for y0, y1 in ys:
            wy = _ramp((y1 - y0) * s, 2 * overlap * s, y0 > 0, y1 < h)
            for x0, x1 in xs:
                wx = _ramp((x1 - x0) * s, 2 * overlap * s, x0 > 0, x1 < w)
                cy0, cy1 = max(0, y0 - overlap), min(h, y1 + overlap)
                cx0, cx1 = max(0, x0 - overlap), min(w, x1 + overlap)
                o = fn(x[..., cy0:cy1, cx0:cx1]).float().cpu()
                o = o[..., (y0 - cy0) * s:(y1 - cy0) * s, (x0 - cx0) * s:(x1 - cx0) * s]
                if out is None:
                    # channels-last strides: the NCHW result is already an HWC array in memory, so
                    # handing it to NumPy (io.from_tensor) needs no second full-size copy.
                    out = torch.empty(1, o.shape[1], h * s, w * s, memory_format=torch.channels_last).zero_()
                wt = wy[:, None] * wx[None, :]
                out[..., y0 * s:y1 * s, x0 * s:x1 * s] += o * wt
                bar.update(1)
    assert out is not None
    return out.div_(ysum[:, None]).div_(xsum[None, :])  # in place: no second full-size image


def free_memory(device: str | torch.device) -> int:
    """Bytes free for tensors on ``device`` (CUDA: ``mem_get_info``; CPU: available RAM).

    Examples
    --------
    >>> free_memory("cpu") > 0
    True
    """
    import torch

    dev = torch.device(device)
    if dev.type == "cuda":
        free, _total = torch.cuda.mem_get_info(dev)
        return int(free)
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:  # pragma: no cover - psutil is nearly always there
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def auto_tile(
    height: int, width: int, *, bytes_per_pixel: float, device: str | torch.device, fraction: float = 0.25,
    multiple: int = 8, minimum: int = 64,
) -> int | None:
    """Largest square tile whose activations fit in ``fraction`` of free memory (``None``: no tiling needed).

    Parameters
    ----------
    bytes_per_pixel
        Peak activation memory per *input* pixel of the network (estimated by the caller).

    Examples
    --------
    >>> auto_tile(64, 64, bytes_per_pixel=1000, device="cpu")  # a small image needs no tiles
    """
    budget = free_memory(device) * fraction
    max_pixels = budget / max(bytes_per_pixel, 1.0)
    if height * width <= max_pixels:
        return None
    side = int(math.sqrt(max_pixels)) // multiple * multiple
    return max(side, minimum)

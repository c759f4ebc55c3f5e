"""The seven artifact detectors: pure functions ``(lr, sr, *, reference=None) -> Finding``.

Each compares the SR with what the input held (its bicubic interpolation, the
*base*; see :mod:`upscalekit.diagnose._common`) and, where it helps, with a
ground-truth reference. Thresholds are module constants; the comment next to
each gives the scores measured on the kit's sample photos (``skimage.data``
crops, ``benchmarks/calibrate_diagnose.py``) that put it where it is.
"""

from __future__ import annotations

import numpy as np

from upscalekit.diagnose._common import Finding, Prepared, haar_sigma, local_energy, prepare, unit_map
from upscalekit.resize import resize

__all__ = [
    "false_regularity",
    "haloing",
    "jpeg_blocks",
    "noise_amplification",
    "over_smoothing",
    "text_warping",
    "tile_seams",
]

# --- thresholds (measured values in benchmarks/calibrate_diagnose.py output) -----------------------
#: haloing: mean overshoot (fraction of full range) over strong-edge pixels.
HALO_THRESHOLD = 0.005
#: haloing: an edge is "strong" where the base spans at least this range inside the window.
HALO_EDGE_RANGE = 0.15
#: haloing: blur (in LR pixels) applied to the SR before measuring overshoot.
HALO_BLUR = 0.25
#: over_smoothing: fraction of the base's (or reference's) texture energy lost in textured regions.
SMOOTH_THRESHOLD = 0.25
#: over_smoothing: a pixel is textured where the reference band energy (RMS) exceeds this.
SMOOTH_TEXTURE_RMS = 0.012
#: text_warping: mean excess LR inconsistency (fraction of full range) inside text regions.
TEXT_THRESHOLD = 0.035
#: false_regularity: excess best off-centre autocorrelation of the SR over the base, top-quarter tiles.
REGULARITY_THRESHOLD = 0.1
#: tile_seams: z-score of the mean discontinuity on the best grid (chance maxima stay below ~6).
SEAM_Z_THRESHOLD = 8.0
#: tile_seams: and the seam columns must be this much more discontinuous than their neighbours.
SEAM_EXCESS_THRESHOLD = 0.15
#: noise_amplification: noise sigma added (fraction of full range; 0.006 ≈ 1.5 grey levels of 255).
NOISE_THRESHOLD = 0.006
#: jpeg_blocks: input blockiness ratio above which the input counts as blocky.
BLOCKY_INPUT = 1.3
#: jpeg_blocks: SR block-edge ratio beyond plain interpolation's that counts as hard lines.
BLOCK_THRESHOLD = 0.15


def _minmax(plane: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    from scipy import ndimage

    return ndimage.minimum_filter(plane, size), ndimage.maximum_filter(plane, size)


# --- haloing ---------------------------------------------------------------------------------------
def haloing(lr: np.ndarray, sr: np.ndarray, *, reference: np.ndarray | None = None) -> Finding:
    """Halos and ringing: SR values beyond the local min/max of the input near strong edges.

    An interpolation never leaves the range its neighbourhood spans by much; a
    sharpening step (unsharp mask, an over-eager model) pushes the bright side of
    an edge brighter and the dark side darker, drawing a light/dark outline. The
    score is the mean overshoot (fraction of full range, 0.01 ≈ 2.5 grey levels)
    over pixels near strong edges, measured against the base (or the reference).

    Examples
    --------
    >>> import numpy as np
    >>> lr = np.zeros((16, 16), np.float32); lr[:, 8:] = 1
    >>> haloing(lr, resize(lr, scale=2)).flagged
    False
    """
    p = prepare(lr, sr, reference)
    return _haloing(p)


def _haloing(p: Prepared) -> Finding:
    from scipy import ndimage

    guide = p.reference if p.reference is not None else p.base
    k = 2 * max(2, p.scale) + 1  # window: a couple of LR pixels, where interpolation stays in range
    lo, hi = _minmax(guide, k)
    # a light blur averages out fine real texture (which also leaves the interpolation's range)
    # while a halo, a band a few pixels wide along the edge, survives it
    sr = ndimage.gaussian_filter(p.sr, HALO_BLUR * p.scale) if p.scale > 1 else p.sr
    over = np.maximum(sr - hi, 0) + np.maximum(lo - sr, 0)
    edges = ndimage.maximum_filter(hi - lo, k) >= HALO_EDGE_RANGE
    n_edge = int(edges.sum())
    score = float(over[edges].mean()) if n_edge else 0.0
    flagged = score > HALO_THRESHOLD
    heat = unit_map(over * edges, 0.08, blur=1.0)
    expl = (
        f"edges overshoot by {100 * score:.2f}% of full range on average (threshold "
        f"{100 * HALO_THRESHOLD:.2f}%): "
        + ("light/dark outlines; lower sharpening/strength or use a less aggressive model"
           if flagged else "no visible halos")
    )
    details = {"mean_overshoot": score, "p99_overshoot": float(np.percentile(over[edges], 99)) if n_edge
               else 0.0, "edge_fraction": n_edge / over.size, "window": k, "threshold": HALO_THRESHOLD,
               "against": "reference" if p.reference is not None else "bicubic input"}
    return Finding("haloing", score, heat, expl, details, flagged)


# --- over-smoothing --------------------------------------------------------------------------------
def over_smoothing(lr: np.ndarray, sr: np.ndarray, *, reference: np.ndarray | None = None) -> Finding:
    """Plastic skin / over-smoothing: texture energy lost in textured regions.

    Measures the RMS of the band a model should keep (detail finer than about
    one LR pixel, high-pass at sigma = scale) in a window, in the SR and in the
    base (or the reference, which also holds the finer detail the LR lost). Where
    the base is textured, the SR should have at least as much; a denoise-happy
    model wipes pores, fabric and foliage into wax. The score is the fraction of
    texture energy lost (0 = kept or added, 1 = all gone).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> lr = rng.random((32, 32)).astype(np.float32)
    >>> over_smoothing(lr, np.full((64, 64), 0.5, np.float32)).flagged
    True
    """
    return _over_smoothing(prepare(lr, sr, reference))


def _over_smoothing(p: Prepared) -> Finding:
    guide = p.reference if p.reference is not None else p.base
    hp = max(1.0, 0.75 * p.scale) if p.reference is None else 1.0
    win = 2.0 * p.scale
    e_ref = local_energy(guide, hp, win)
    e_sr = local_energy(p.sr, hp, win)
    textured = e_ref > SMOOTH_TEXTURE_RMS
    n_tex = int(textured.sum())
    if n_tex:
        score = float(np.clip(1.0 - e_sr[textured].sum() / e_ref[textured].sum(), 0.0, 1.0))
    else:
        score = 0.0
    flagged = n_tex > 0.02 * textured.size and score > SMOOTH_THRESHOLD
    loss = np.clip(1.0 - e_sr / np.maximum(e_ref, 1e-6), 0, 1) * textured
    heat = unit_map(loss, 1.0, blur=p.scale)
    expl = (
        f"{100 * score:.0f}% of the texture energy in textured regions is gone (threshold "
        f"{100 * SMOOTH_THRESHOLD:.0f}%): "
        + ("waxy, plastic surfaces; lower denoising, raise strength, or blend some of the input back"
           if flagged else ("no textured regions to judge" if n_tex == 0 else "texture kept"))
    )
    details = {"texture_lost": score, "textured_fraction": n_tex / textured.size, "highpass_sigma": hp,
               "threshold": SMOOTH_THRESHOLD,
               "against": "reference" if p.reference is not None else "bicubic input"}
    return Finding("over_smoothing", score, heat, expl, details, flagged)


# --- text warping ----------------------------------------------------------------------------------
def text_mask(plane: np.ndarray) -> np.ndarray:
    """Boolean mask of text-like regions found by MSER, without any downloaded model.

    Character candidates are maximally stable extremal regions whose box is
    glyph-shaped (height 6 px to half the image, aspect 0.1–2.5, ink
    covering 15–90 % of the box, strokes thin compared with the height); a
    candidate is kept only when another one of similar height sits beside it,
    because text comes in lines. The kept boxes, slightly grown, form the mask.

    Examples
    --------
    >>> import numpy as np
    >>> text_mask(np.zeros((64, 64), np.float32)).any()
    np.False_
    """
    import cv2
    from scipy import ndimage

    img = np.clip(np.rint(plane * 255), 0, 255).astype(np.uint8)
    h_img = plane.shape[0]
    mser = cv2.MSER_create()
    mser.setMinArea(12)
    mser.setMaxArea(max(13, plane.size // 20))
    boxes = []
    regions, bbs = mser.detectRegions(img)  # OpenCV's MSER finds dark and light regions alike
    for pts, (x, y, w, h) in zip(regions, bbs, strict=True):
        if not 6 <= h <= h_img / 2 or not 0.1 <= w / h <= 2.5:
            continue
        fill = len(pts) / float(w * h)
        if not 0.15 <= fill <= 0.9:
            continue
        blob = np.zeros((h + 2, w + 2), bool)
        blob[pts[:, 1] - y + 1, pts[:, 0] - x + 1] = True
        stroke = 2.0 * ndimage.distance_transform_edt(blob).max()
        if stroke > 0.45 * h:
            continue
        boxes.append((int(x), int(y), int(w), int(h)))
    mask = np.zeros(plane.shape, bool)
    if not boxes:
        return mask
    arr = np.array(boxes, np.float64)
    cx, cy, hh = arr[:, 0] + arr[:, 2] / 2, arr[:, 1] + arr[:, 3] / 2, arr[:, 3]
    for i, (x, y, w, h) in enumerate(boxes):
        near = (np.abs(cy - cy[i]) < 0.8 * h) & (np.abs(cx - cx[i]) < 2.5 * h) & (np.abs(hh - h) < 0.6 * h)
        near[i] = False
        # the same glyph found twice (nested MSER levels) is not a neighbour
        near &= np.abs(cx - cx[i]) > 0.3 * w
        if near.any():
            g = max(1, h // 6)
            mask[max(0, y - g):y + h + g, max(0, x - g):x + w + g] = True
    return mask


def _lr_inconsistency(p: Prepared, plane: np.ndarray) -> np.ndarray:
    down = resize(plane, size=p.lr.shape, method="bicubic") if p.scale > 1 else plane
    return np.abs(down - p.lr)


def text_warping(lr: np.ndarray, sr: np.ndarray, *, reference: np.ndarray | None = None) -> Finding:
    """Text warping: inside text-like regions, SR structure that disagrees with the input.

    Letters are where invented detail hurts most: a model that is not sure what
    a glyph is draws a plausible *other* glyph (the "alphabet soup"). Text
    regions are found by :func:`text_mask`; there the SR is downscaled back to
    the LR's size and compared with the LR (LR consistency). Plain bicubic is
    not perfectly consistent either, so only the excess over the base's own
    error counts. With a reference, the excess error against it (after a light
    blur, so pixel-exact texture does not matter) counts too; the score is the
    larger of the two, as a mean over text pixels (fraction of full range).

    Examples
    --------
    >>> import numpy as np
    >>> lr = np.ones((32, 32), np.float32)
    >>> text_warping(lr, resize(lr, scale=2)).score
    0.0
    """
    return _text_warping(prepare(lr, sr, reference))


def _text_warping(p: Prepared) -> Finding:
    from scipy import ndimage

    mask = text_mask(p.reference if p.reference is not None else p.base)
    excess_lr = np.maximum(_lr_inconsistency(p, p.sr) - _lr_inconsistency(p, p.base), 0)
    excess = (np.kron(excess_lr, np.ones((p.scale, p.scale), np.float32)) if p.scale > 1
              else excess_lr).astype(np.float32)
    if p.reference is not None:
        b = 0.5 * p.scale
        ref_s = ndimage.gaussian_filter(p.reference, b)
        e_sr = np.abs(ndimage.gaussian_filter(p.sr, b) - ref_s)
        e_base = np.abs(ndimage.gaussian_filter(p.base, b) - ref_s)
        excess = np.maximum(excess, np.maximum(e_sr - e_base, 0))
    n = int(mask.sum())
    score = float(excess[mask].mean()) if n else 0.0
    flagged = n > 0 and score > TEXT_THRESHOLD
    heat = unit_map(excess * mask, 0.2, blur=0.5 * p.scale)
    if n == 0:
        expl = "no text-like regions found"
    else:
        expl = (
            f"inside text regions ({100 * n / mask.size:.1f}% of the image) the SR disagrees with the "
            f"input by {100 * score:.2f}% of full range beyond bicubic's own error (threshold "
            f"{100 * TEXT_THRESHOLD:.1f}%): "
            + ("letters were redrawn; keep text regions interpolated (mask) or use a milder model"
               if flagged else "letters stay consistent with the input")
        )
    details = {"mean_excess_error": score, "text_fraction": n / mask.size, "threshold": TEXT_THRESHOLD}
    return Finding("text_warping", score, heat, expl, details, flagged)


# --- false regularity ------------------------------------------------------------------------------
def _tile_autocorr_peak(tiles: np.ndarray, min_lag: float) -> tuple[np.ndarray, np.ndarray]:
    """Best off-centre Pearson autocorrelation of each tile (N×T×T) and its lag (N×2).

    Exact normalized correlation over the overlapping part for every lag up to
    T/2, computed with zero-padded FFTs of x, x² and the support.
    """
    n, t, _ = tiles.shape
    m = 2 * t
    fft2, ifft2 = np.fft.rfft2, np.fft.irfft2
    ones = np.ones((t, t))
    f_x = fft2(tiles, s=(m, m))
    f_x2 = fft2(tiles * tiles, s=(m, m))
    f_1 = fft2(ones, s=(m, m))

    def corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # sum_p a(p) b(p + lag)
        return ifft2(np.conj(a) * b, s=(m, m))

    cnt = corr(f_1, f_1)
    sxy = corr(f_x, f_x)
    sa, sb = corr(f_x, f_1[None]), corr(f_1[None], f_x)
    saa, sbb = corr(f_x2, f_1[None]), corr(f_1[None], f_x2)
    cnt = np.maximum(cnt, 1)
    cov = sxy - sa * sb / cnt
    va = np.maximum(saa - sa * sa / cnt, 1e-12)
    vb = np.maximum(sbb - sb * sb / cnt, 1e-12)
    r = cov / np.sqrt(va * vb)
    lags = np.fft.fftfreq(m, 1 / m)
    ly, lx = np.meshgrid(lags, lags, indexing="ij")
    ok = (np.abs(ly) <= t // 2) & (np.abs(lx) <= t // 2) & (np.hypot(ly, lx) >= min_lag)
    r = np.where(ok[None], r, -1.0)
    flat = r.reshape(n, -1)
    idx = flat.argmax(1)
    best = flat[np.arange(n), idx]
    return best, np.stack([ly.ravel()[idx], lx.ravel()[idx]], 1)


def false_regularity(lr: np.ndarray, sr: np.ndarray, *, reference: np.ndarray | None = None) -> Finding:
    """False regularity / texture overload: periodicity the input did not have.

    GAN upscalers fill texture they cannot see with texture they have seen, and
    repeat it: a brick wall becomes wallpaper, foliage becomes a stamp pattern.
    In tiles (64 px at the SR's size) both the SR and the base are
    band-passed alike (difference of Gaussians at 0.5 and 3 LR pixels) and the
    best off-centre normalized autocorrelation is found; real walls are periodic
    in the base too, so only the SR's excess counts. The score is the mean excess
    over the worst quarter of tiles (a correlation, 0–2; a tiled stamp gives ~0.5+).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> lr = rng.random((32, 32)).astype(np.float32)
    >>> false_regularity(lr, np.tile(resize(lr, scale=2)[:16, :16], (4, 4))).flagged
    True
    """
    return _false_regularity(prepare(lr, sr, reference))


def _bandpass(plane: np.ndarray, s: int) -> np.ndarray:
    from scipy import ndimage

    return ndimage.gaussian_filter(plane, 0.5 * s) - ndimage.gaussian_filter(plane, 3.0 * s)


def _tiles(plane: np.ndarray, t: int, step: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    h, w = plane.shape
    ys = list(range(0, max(1, h - t + 1), step))
    xs = list(range(0, max(1, w - t + 1), step))
    pos = [(y, x) for y in ys for x in xs]
    return np.stack([plane[y:y + t, x:x + t] for y, x in pos]).astype(np.float64), pos


def _false_regularity(p: Prepared) -> Finding:
    h, w = p.sr.shape
    t = min(64, h, w)
    if t < 16:
        return Finding("false_regularity", 0.0, np.zeros((h, w), np.float32),
                       f"image too small to judge periodicity ({h}×{w}); needs at least 16×16", {}, False)
    # half-overlapping tiles on small images, side by side on large ones (keeps 512 px under a second)
    step = t // 2 if (h // t) * (w // t) < 16 else t
    # exclude the central lobe of the band-passed autocorrelation; a blurred SR widens it
    min_lag = max(6.0, 3.0 * p.scale)
    tile_sr, pos = _tiles(_bandpass(p.sr, p.scale), t, step)
    tile_b, _ = _tiles(_bandpass(p.base, p.scale), t, step)
    # tiles with no texture at all have no meaningful correlation: skip them
    active = tile_sr.std(axis=(1, 2)) > 0.004
    r_sr = np.zeros(len(pos))
    r_b = np.zeros(len(pos))
    lag_sr = np.zeros((len(pos), 2))
    if active.any():
        r_sr[active], lag_sr[active] = _tile_autocorr_peak(tile_sr[active], min_lag)
        r_b[active], _ = _tile_autocorr_peak(tile_b[active], min_lag)
    excess = np.where(active, np.maximum(r_sr - r_b, 0), 0.0)
    k = max(1, len(excess) // 4)
    top = np.sort(excess)[-k:]
    score = float(top.mean())
    flagged = score > REGULARITY_THRESHOLD
    heat = np.zeros((h, w), np.float32)
    cnt = np.zeros((h, w), np.float32)
    for e, (y, x) in zip(excess, pos, strict=True):
        heat[y:y + t, x:x + t] += e
        cnt[y:y + t, x:x + t] += 1
    heat = unit_map(heat / np.maximum(cnt, 1), 0.6)
    worst = int(excess.argmax())
    period = float(np.hypot(*lag_sr[worst]))
    expl = (
        f"tiles repeat with autocorrelation {score:.2f} above the input's (threshold "
        f"{REGULARITY_THRESHOLD:.2f}): "
        + (f"invented repeating texture (period ≈ {period:.0f} px); lower strength, try 2×+2×, or a "
           "less generative model" if flagged else "no periodicity beyond the input's")
    )
    details = {"excess_autocorr": score, "worst_tile": list(pos[worst]), "worst_lag": lag_sr[worst].tolist(),
               "worst_sr_autocorr": float(r_sr[worst]), "worst_input_autocorr": float(r_b[worst]),
               "tile": t, "threshold": REGULARITY_THRESHOLD}
    return Finding("false_regularity", score, heat, expl, details, flagged)


# --- tile seams ------------------------------------------------------------------------------------
def _grid_search(q: np.ndarray, min_period: int) -> tuple[float, int, int, float]:
    """Best (z, period, offset, excess) for boundaries x ≡ offset (mod period), x ≥ 1.

    ``q[x - 1]`` is the relative discontinuity between columns x-1 and x. Excess
    is clipped at 2 so that a grid wins by being consistent, not by one huge edge;
    a grid needs at least 3 boundaries; and when a divisor of the best period on
    the same offset has nearly the same mean excess (every one of its boundaries
    is a seam), the divisor is the real tile size.
    """
    n = len(q) + 1  # columns
    x = np.arange(1, n)
    e = np.clip(q - 1.0, -1.0, 2.0)
    sd = float(e.std()) or 1.0
    table: dict[int, tuple[float, int, float]] = {}
    for period in range(min_period, (n - 1) // 3 + 1):
        sums = np.bincount(x % period, weights=e, minlength=period)
        counts = np.bincount(x % period, minlength=period)
        means = sums / np.maximum(counts, 1)
        z = np.where(counts >= 3, means * np.sqrt(counts) / sd, -np.inf)
        o = int(z.argmax())
        table[period] = (float(z[o]), o, float(means[o]))
    if not table:
        return (0.0, 0, 0, 0.0)
    period = max(table, key=lambda k: table[k][0])
    for k in range(2, period // min_period + 1):  # smallest divisor that explains the grid as well
        d = period / k
        if d.is_integer() and int(d) in table:
            zd, od, md = table[int(d)]
            if od == table[period][1] % int(d) and zd > 0 and md > 0.7 * table[period][2]:
                period = int(d)
    z, o, m = table[period]
    return (z, period, o, m)


def _column_profile(plane: np.ndarray) -> np.ndarray:
    """Relative discontinuity between adjacent columns: median step / neighbours' median step."""
    from scipy import ndimage

    step = np.median(np.abs(np.diff(plane, axis=1)), axis=0) + 1e-4
    # neighbours: median of the 6 columns around, the column itself excluded
    fp = np.ones(7, bool)
    fp[3] = False
    neigh = ndimage.median_filter(step, footprint=fp, mode="nearest")
    return step / neigh


def tile_seams(lr: np.ndarray, sr: np.ndarray, *, reference: np.ndarray | None = None) -> Finding:
    """Tile seams: discontinuities lined up on a grid, with its period and offset.

    Processing a large image in tiles without overlap (or with too little)
    leaves each tile's borders computed from padding, so the tiles disagree
    where they meet. For every column (and row) boundary, the median step across
    it is divided by its neighbours' (a relative discontinuity); every grid
    period from max(8, 2·scale + 1) px to half the image and every offset is
    scored by a z-score of its boundaries' mean excess. Interpolation grids
    (period = scale) and content edges do not line up that way. The same grid is
    scored on the base and subtracted, so blocky inputs do not count as seams.
    The score is the larger of the row and column z-scores.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> lr = rng.random((32, 32)).astype(np.float32)
    >>> tile_seams(lr, resize(lr, scale=4)).flagged
    False
    """
    return _tile_seams(prepare(lr, sr, reference))


def _tile_seams(p: Prepared) -> Finding:
    h, w = p.sr.shape
    min_period = max(8, 2 * p.scale + 1)
    heat = np.zeros((h, w), np.float32)
    axes = {}
    for axis, plane, base in (("x", p.sr, p.base), ("y", p.sr.T, p.base.T)):
        if plane.shape[1] < 2 * min_period + 1:
            axes[axis] = {"z": 0.0, "period": None, "offset": None, "excess": 0.0}
            continue
        q = _column_profile(plane)
        z, period, offset, excess = _grid_search(q, min_period)
        qb = _column_profile(base)
        cols = np.arange(offset if offset else period, plane.shape[1], period)
        excess_base = float(np.mean(qb[cols - 1] - 1.0))
        z_adj = z * max(0.0, excess - max(excess_base, 0.0)) / excess if excess > 0 else 0.0
        axes[axis] = {"z": float(z_adj), "period": int(period), "offset": int(offset),
                      "excess": float(excess), "input_excess": excess_base}
        seam = axes[axis]["z"] > SEAM_Z_THRESHOLD and excess > SEAM_EXCESS_THRESHOLD
        axes[axis]["seam"] = bool(seam)
        if seam:
            strength = np.clip((q[cols - 1] - 1.0) / 1.0, 0, 1).astype(np.float32)
            if axis == "x":
                heat[:, cols] = np.maximum(heat[:, cols], strength[None])
                heat[:, cols - 1] = np.maximum(heat[:, cols - 1], strength[None])
            else:
                heat[cols, :] = np.maximum(heat[cols, :], strength[:, None])
                heat[cols - 1, :] = np.maximum(heat[cols - 1, :], strength[:, None])
    from scipy import ndimage

    heat = np.clip(ndimage.maximum_filter(heat, 3), 0, 1).astype(np.float32)
    score = max(a["z"] for a in axes.values())
    flagged = any(a.get("seam", False) for a in axes.values())
    if flagged:
        parts = [f"{'vertical' if k == 'x' else 'horizontal'} seams every {a['period']} px from offset "
                 f"{a['offset']}" for k, a in axes.items() if a.get("seam")]
        expl = "; ".join(parts) + ": tiles processed without enough overlap; raise tile_overlap or tile size"
    else:
        expl = f"no grid of discontinuities (best z {score:.1f}, threshold {SEAM_Z_THRESHOLD:.0f})"
    details = {"columns": axes["x"], "rows": axes["y"], "z_threshold": SEAM_Z_THRESHOLD,
               "excess_threshold": SEAM_EXCESS_THRESHOLD}
    return Finding("tile_seams", score, heat, expl, details, flagged)


# --- noise amplification ---------------------------------------------------------------------------
def noise_amplification(lr: np.ndarray, sr: np.ndarray, *, reference: np.ndarray | None = None) -> Finding:
    """Noise amplification: noise sigma in flat regions before (LR) vs after (SR).

    Sensor noise and grain look like texture to a model; many sharpen it into
    crisp speckle. Noise is estimated with the MAD of the finest Haar diagonal
    band (Donoho–Johnstone), in flat regions of the input (low gradient after a
    light blur), on the LR and on the SR brought back to the LR's size (area
    average: the SR's noise at the scale the input had). The score is the sigma
    added (fraction of full range; 0.01 ≈ 2.5 grey levels). The heatmap is the
    SR's local high-pass RMS in flat regions beyond the base's. A reference, if
    given, decides what is flat.

    Examples
    --------
    >>> import numpy as np
    >>> lr = np.full((32, 32), 0.5, np.float32)
    >>> noise_amplification(lr, resize(lr, scale=2)).flagged
    False
    """
    return _noise_amplification(prepare(lr, sr, reference))


def _noise_amplification(p: Prepared) -> Finding:
    from scipy import ndimage

    smooth = ndimage.gaussian_filter(p.lr, 1.5)
    grad = ndimage.gaussian_gradient_magnitude(smooth, 1.0)
    if p.reference is not None:
        ref_lr = resize(p.reference, size=p.lr.shape, method="area")
        grad = ndimage.gaussian_gradient_magnitude(ref_lr, 1.0)
    flat = grad < max(np.percentile(grad, 50), 1e-4)
    sr_lr = resize(p.sr, size=p.lr.shape, method="area") if p.scale > 1 else p.sr
    before = haar_sigma(p.lr, flat)
    after = haar_sigma(sr_lr, flat)
    score = max(0.0, after - before)
    flagged = score > NOISE_THRESHOLD
    hp = max(1.0, 0.5 * p.scale)
    e_sr = local_energy(p.sr, hp, 2 * p.scale)
    e_b = local_energy(p.base, hp, 2 * p.scale)
    flat_up = (np.kron(flat, np.ones((p.scale, p.scale), bool)) if p.scale > 1 else flat)
    heat = unit_map(np.maximum(e_sr - e_b, 0) * flat_up, 0.05, blur=p.scale)
    expl = (
        f"noise sigma {255 * before:.1f} → {255 * after:.1f} grey levels in flat regions "
        f"(+{255 * score:.1f}, "
        f"threshold +{255 * NOISE_THRESHOLD:.1f}): "
        + ("noise was sharpened into speckle; denoise first or lower strength" if flagged
           else "noise not amplified")
    )
    details = {"sigma_before": before, "sigma_after": after, "sigma_added": score,
               "flat_fraction": float(flat.mean()), "threshold": NOISE_THRESHOLD}
    return Finding("noise_amplification", score, heat, expl, details, flagged)


# --- JPEG blocks -----------------------------------------------------------------------------------
def _blockiness(plane: np.ndarray) -> float:
    """8×8 blockiness: mean step across block boundaries over the mean step just beside them.

    The JPEG grid starts at the top-left pixel (crop the LR at multiples of 8 to
    keep it there). Inside a coarsely quantized block, neighbouring pixels are
    smooth; across its boundary they jump. 1.0 = no blocks; measured on the
    kit's photos: q=95 0.98–1.14, q=50 1.23–1.56, q=20 1.49–1.74.
    """
    out = []
    for p in (plane, plane.T):
        d = np.abs(np.diff(p, axis=1))  # d[:, x-1]: step between columns x-1 and x
        xs = np.arange(8, p.shape[1] - 1, 8)
        if len(xs) == 0:
            continue
        on = d[:, xs - 1]
        beside = 0.5 * (d[:, xs - 2] + d[:, xs])
        out.append(on.mean() / (beside.mean() + 1e-4))
    return float(np.mean(out)) if out else 1.0


def jpeg_blocks(lr: np.ndarray, sr: np.ndarray, *, reference: np.ndarray | None = None) -> Finding:
    """JPEG block amplification: 8×8 block edges of the input redrawn as hard lines.

    A heavily compressed input has faint steps on its 8×8 block grid. Plain
    interpolation spreads them out; a sharpening model (or nearest neighbour)
    turns them into a visible lattice on the 8·scale grid of the output. The
    input's blockiness is the mean step across its 8-px block boundaries over
    the mean step beside them (1.0 = no blocks). On the SR, the mean step on the
    8·scale lines over the mean step on all other lines measures how hard those
    lines are; the score is how much harder they are than in the base (SR ratio
    / base ratio - 1). Flagged when the input is blocky and the score is high.

    Examples
    --------
    >>> import numpy as np
    >>> lr = np.full((32, 32), 0.5, np.float32)
    >>> jpeg_blocks(lr, resize(lr, scale=2)).flagged
    False
    """
    return _jpeg_blocks(prepare(lr, sr, reference))


def _jpeg_blocks(p: Prepared) -> Finding:
    h, w = p.sr.shape
    s = p.scale
    if min(p.lr.shape) < 24:
        return Finding("jpeg_blocks", 0.0, np.zeros((h, w), np.float32),
                       "input too small to judge 8×8 blocks (needs 24 px)", {}, False)
    b_in = _blockiness(p.lr)
    # the SR on the input's grid, upscaled: how much harder are its lines than interpolation makes them?
    b_sr = _grid_ratio(p.sr, 8 * s)
    b_base = _grid_ratio(p.base, 8 * s)
    score = max(0.0, b_sr / max(b_base, 1e-6) - 1.0)
    flagged = b_in > BLOCKY_INPUT and score > BLOCK_THRESHOLD
    heat = np.zeros((h, w), np.float32)
    if b_in > BLOCKY_INPUT:
        from scipy import ndimage

        g = 8 * s
        step_x = np.zeros((h, w), np.float32)
        step_x[:, 1:] = np.abs(np.diff(p.sr, axis=1))
        step_y = np.zeros((h, w), np.float32)
        step_y[1:, :] = np.abs(np.diff(p.sr, axis=0))
        cols = np.arange(g, w, g)
        rows = np.arange(g, h, g)
        heat[:, cols] = step_x[:, cols]
        heat[rows, :] = np.maximum(heat[rows, :], step_y[rows, :])
        heat = unit_map(ndimage.maximum_filter(heat, 3), 0.1)
    expl = (
        f"input blockiness {b_in:.2f} (threshold {BLOCKY_INPUT}), SR block edges {b_sr:.2f} vs "
        f"interpolation's {b_base:.2f}: "
        + ("JPEG blocks redrawn as a hard lattice; deblock/denoise first or use a model trained on JPEG"
           if flagged else ("input is not blocky" if b_in <= BLOCKY_INPUT else "block edges not hardened"))
    )
    details = {"input_blockiness": b_in, "sr_block_ratio": b_sr, "base_block_ratio": b_base,
               "amplification": score, "blocky_input_threshold": BLOCKY_INPUT, "threshold": BLOCK_THRESHOLD}
    return Finding("jpeg_blocks", score, heat, expl, details, flagged)


def _grid_ratio(plane: np.ndarray, block: int) -> float:
    """Mean step on the lines x ≡ 0 (mod block) over the mean step on all other columns (and rows)."""
    ratios = []
    for d in (np.abs(np.diff(plane, axis=1)).mean(axis=0), np.abs(np.diff(plane, axis=0)).mean(axis=1)):
        x = np.arange(1, len(d) + 1)
        on = d[(x % block) == 0]
        off = d[(x % block) != 0]
        if len(on) and len(off):
            ratios.append(on.mean() / max(off.mean(), 1e-6))
    return float(np.mean(ratios)) if ratios else 1.0

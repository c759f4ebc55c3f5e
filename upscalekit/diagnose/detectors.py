"""The seven artifact detectors: pure functions ``(lr, sr, *, reference=None) -> Finding``.

Each compares the SR with what the input held (its bicubic interpolation, the
*base*; see :mod:`upscalekit.diagnose._common`). The verdict (score, flagged,
threshold) of haloing, over-smoothing and noise amplification is always that
input-based measure, the one the thresholds were calibrated on: a ground-truth
reference, when given, adds the same reading taken against it to
``details["vs_reference"]`` (``score``, ``units``, ``calibrated=False``) and one
clause to the explanation, for information only, so the same SR gets the same
verdict with or without ``--hr``. The ``*_THRESHOLD`` constants are the thresholds
:func:`upscalekit.diagnose.validation.calibrate` chose on the validation set's
calibration photos (``benchmarks/calibrate_diagnose.py``, rounded to 3
digits); ``benchmarks/bench_diagnose.py`` reports them on the held-out photos.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from upscalekit.diagnose._common import Prepared, haar_sigma, local_energy, unit_map
from upscalekit.diagnose.findings import DETECTORS, Finding, detector
from upscalekit.resize import resize

__all__ = [
    "false_regularity",
    "haloing",
    "jpeg_blocks",
    "noise_amplification",
    "over_smoothing",
    "text_lines",
    "text_mask",
    "text_warping",
    "tile_seams",
]

# --- thresholds (chosen on the calibration photos by validation.calibrate) ---------------------------
#: haloing: mean overshoot (fraction of full range) over strong-edge pixels.
HALO_THRESHOLD = 0.00466
#: haloing: an edge is "strong" where the base spans at least this range inside the window.
HALO_EDGE_RANGE = 0.15
#: haloing: blur (in LR pixels) applied to the SR before measuring overshoot.
HALO_BLUR = 0.25
#: over_smoothing: fraction of the input's texture energy lost in textured regions (at the LR's size).
SMOOTH_THRESHOLD = 0.0194
#: over_smoothing: a pixel is textured where the guide's band energy (RMS) exceeds this.
SMOOTH_TEXTURE_RMS = 0.012
#: text_warping: in the worst text line, (sharpening − 1) / letter height² (input px) plus the SR's round-trip
#: error to the input beyond bicubic's, as a fraction of the line's ink-to-paper contrast.
TEXT_THRESHOLD = 0.032
#: text_warping: weight of the round-trip evidence beside the guessed-strokes evidence.
TEXT_RT_WEIGHT = 1.0
#: text_warping: the paper a line is printed on (what the top-hat leaves untouched in its words' boxes) varies
#: by at most this luma std (median over the words). Chosen on the calibration photos: the strictest of
#: 0.04–0.1 that keeps the best calibration recall (0.05–0.1 tie at 0.75; 0.04 gives 0.64).
TEXT_PAPER_STD = 0.05
#: text_warping: letters shorter than this (input px) are scored as this tall.
TEXT_MIN_LETTER = 2.5
#: text_warping: a text line holds this many times the ink of the bands just above and below it.
TEXT_ISOLATION = 2.0
#: text_warping: a glyph candidate must differ from the ring around it by this much (fraction of range).
TEXT_CONTRAST = 0.2
#: false_regularity: excess best off-centre autocorrelation of the SR over the base, top-quarter tiles.
REGULARITY_THRESHOLD = 0.119
#: tile_seams: lower-quartile log step ratio over the best grid's boundaries, minus the best unrelated grid's.
SEAM_THRESHOLD = 0.101
#: tile_seams: the base "has an edge" near a boundary where its step is this many times its band's median.
SEAM_BASE_EDGE = 2.5
#: noise_amplification: noise sigma added (fraction of full range; 0.006 ≈ 1.5 grey levels of 255).
NOISE_THRESHOLD = 0.00525
#: jpeg_blocks: input blockiness ratio above which the input counts as blocky.
BLOCKY_INPUT = 1.3
#: jpeg_blocks: SR block-edge ratio beyond plain interpolation's that counts as hard lines.
BLOCK_THRESHOLD = 0.0666


def _minmax(plane: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    from scipy import ndimage

    return ndimage.minimum_filter(plane, size), ndimage.maximum_filter(plane, size)


#: The clause that marks a reading against the ground truth as information, not the verdict.
_NOT_CALIBRATED = "not used for the verdict: thresholds are calibrated against the input"


# --- haloing ---------------------------------------------------------------------------------------
def haloing(lr: np.ndarray, sr: np.ndarray, *, reference: np.ndarray | None = None) -> Finding:
    """Halos and ringing: SR values beyond the local min/max of the input near strong edges.

    An interpolation never leaves the range its neighbourhood spans by much; a
    sharpening step (unsharp mask, an over-eager model) pushes the bright side of
    an edge brighter and the dark side darker, drawing a light/dark outline. The
    score is the mean overshoot (fraction of full range, 0.01 ≈ 2.5 grey levels)
    over pixels near strong edges, measured against the base. With a reference,
    the overshoot beyond the ground truth's local range is added to
    ``details["vs_reference"]`` (for information: the threshold is calibrated
    against the base).

    Examples
    --------
    >>> import numpy as np
    >>> lr = np.zeros((16, 16), np.float32); lr[:, 8:] = 1
    >>> haloing(lr, resize(lr, scale=2)).flagged
    False
    """
    return DETECTORS["haloing"](lr, sr, reference=reference)


@detector("haloing", threshold=HALO_THRESHOLD,
          units="mean overshoot, fraction of full range", title="Haloing")
def _haloing(p: Prepared) -> Finding:
    from scipy import ndimage

    k = 2 * max(2, p.scale) + 1  # window: a couple of LR pixels, where interpolation stays in range
    # a light blur averages out fine real texture (which also leaves the interpolation's range)
    # while a halo, a band a few pixels wide along the edge, survives it
    sr = ndimage.gaussian_filter(p.sr, HALO_BLUR * p.scale) if p.scale > 1 else p.sr

    def overshoot(guide: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        lo, hi = _minmax(guide, k)
        over = np.maximum(sr - hi, 0) + np.maximum(lo - sr, 0)
        edges = ndimage.maximum_filter(hi - lo, k) >= HALO_EDGE_RANGE
        return (float(over[edges].mean()) if edges.any() else 0.0), over, edges

    score, over, edges = overshoot(p.base)
    n_edge = int(edges.sum())
    flagged = score > HALO_THRESHOLD
    heat = unit_map(over * edges, 0.08, blur=1.0)
    details = {"mean_overshoot": score, "p99_overshoot": float(np.percentile(over[edges], 99)) if n_edge
               else 0.0, "edge_fraction": n_edge / over.size, "window": k, "threshold": HALO_THRESHOLD,
               "against": "bicubic input"}
    ref_clause = ""
    if p.reference is not None:
        ref_score, _, _ = overshoot(p.reference)
        details["vs_reference"] = {"score": ref_score, "units": "mean overshoot, fraction of full range",
                                   "calibrated": False}
        ref_clause = f"; against the ground truth: {100 * ref_score:.2f}% ({_NOT_CALIBRATED})"
    expl = (
        f"edges overshoot the bicubic input's local range by {100 * score:.2f}% of full range on average "
        f"(threshold {100 * HALO_THRESHOLD:.2f}%): "
        + ("light/dark outlines; lower sharpening/strength or use a less aggressive model"
           if flagged else "no visible halos")
        + ref_clause
    )
    return Finding("haloing", score, heat, expl, details, flagged)


# --- over-smoothing --------------------------------------------------------------------------------
def over_smoothing(lr: np.ndarray, sr: np.ndarray, *, reference: np.ndarray | None = None) -> Finding:
    """Plastic skin / over-smoothing: texture energy lost in textured regions.

    Measures the RMS of the band a model should keep (detail finer than about
    one LR pixel) in a window, in the SR and in the base, both brought back to the
    LR's size. Where the input is textured, the SR should have at least as much;
    a denoise-happy model wipes pores, fabric and foliage into wax. The score is
    the fraction of texture energy lost (0 = kept or added, 1 = all gone). With a
    reference, the fraction of the ground truth's texture energy (which also
    holds the finer detail the LR lost) missing from the SR is added to
    ``details["vs_reference"]``, for information: even a perfect interpolation
    loses most of that, so it is not what the threshold was calibrated on.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> from scipy import ndimage
    >>> lr = rng.random((32, 32)).astype(np.float32)
    >>> over_smoothing(lr, ndimage.gaussian_filter(resize(lr, scale=2), 2)).flagged  # blurred: texture gone
    True
    """
    return DETECTORS["over_smoothing"](lr, sr, reference=reference)


@detector("over_smoothing", threshold=SMOOTH_THRESHOLD,
          units="fraction of texture energy lost", title="Over-smoothing (plastic skin)")
def _over_smoothing(p: Prepared) -> Finding:
    def lost(guide: np.ndarray, sr: np.ndarray, win: float) -> tuple[float, np.ndarray, np.ndarray]:
        e_ref = local_energy(guide, 1.0, win)
        e_sr = local_energy(sr, 1.0, win)
        textured = e_ref > SMOOTH_TEXTURE_RMS
        score = (float(np.clip(1.0 - e_sr[textured].sum() / e_ref[textured].sum(), 0.0, 1.0))
                 if textured.any() else 0.0)
        return score, np.clip(1.0 - e_sr / np.maximum(e_ref, 1e-6), 0, 1) * textured, textured

    # the texture the input held lives at the input's own scale: compare the SR brought back to the LR's
    # size (area average) with the base brought back the same way, so a model may sharpen edges all it
    # likes but must not wipe the input's texture
    sr = resize(p.sr, size=p.lr.shape, method="area") if p.scale > 1 else p.sr
    guide = resize(p.base, size=p.lr.shape, method="area") if p.scale > 1 else p.base
    score, loss, textured = lost(guide, sr, 2.0)
    n_tex = int(textured.sum())
    judged = n_tex > 0.02 * textured.size
    flagged = judged and score > SMOOTH_THRESHOLD
    if loss.shape != p.sr.shape:
        loss = np.kron(loss, np.ones((p.scale, p.scale), np.float32))
    heat = unit_map(loss, 1.0, blur=p.scale)
    details = {"texture_lost": score, "textured_fraction": n_tex / textured.size, "highpass_sigma": 1.0,
               "threshold": SMOOTH_THRESHOLD, "against": "bicubic input"}
    ref_clause = ""
    if p.reference is not None:  # at the SR's size: the ground truth holds detail finer than the LR's
        ref_score, _, _ = lost(p.reference, p.sr, 2.0 * p.scale)
        details["vs_reference"] = {"score": ref_score, "units": "fraction of texture energy lost",
                                   "calibrated": False}
        ref_clause = f"; against the ground truth: {100 * ref_score:.0f}% lost ({_NOT_CALIBRATED})"
    expl = (
        f"{100 * score:.0f}% of the bicubic input's texture energy in textured regions is gone (threshold "
        f"{100 * SMOOTH_THRESHOLD:.0f}%): "
        + ("waxy, plastic surfaces; lower denoising, raise strength, or blend some of the input back"
           if flagged else ("not judged: too little texture in the input to judge" if not judged
                            else "texture kept"))
        + ref_clause
    )
    return Finding("over_smoothing", score, heat, expl, details, flagged, judged=judged)


# --- text warping ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TextLine:
    """One line of printed text found in an image: its box and its letters' height.

    Attributes
    ----------
    box : tuple of slice
        ``(rows, cols)`` of the line, grown by ``scale`` px, in the image's pixels.
    glyph_height : float
        Median height of the line's letters (not dots and accents), in the image's pixels.
    """

    box: tuple[slice, slice]
    glyph_height: float


def _letter_peaks(tophat: np.ndarray, height: int) -> int:
    """Letters in a word box, counted as peaks of its ink's column profile (one or two per letter)."""
    from scipy import ndimage
    from scipy.signal import find_peaks

    prof = ndimage.gaussian_filter1d(tophat.mean(axis=0), max(1.0, 0.08 * height))
    if prof.max() <= 0:
        return 0
    # letters sit about half a height apart or more; a dip of a fifth of the peak separates two
    peaks, _ = find_peaks(prof, prominence=0.2 * float(prof.max()), distance=max(2, int(0.3 * height)))
    return int(len(peaks))


def text_lines(plane: np.ndarray, *, scale: int = 1) -> list[TextLine]:
    """Lines of high-contrast glyphs in a luma plane, found without any downloaded model.

    Ink is where a morphological top-hat (dark-on-light and light-on-dark
    alike, window about one glyph) exceeds :data:`TEXT_CONTRAST` of full range;
    ink joined along a line (a horizontal closing over ``2·scale + 1`` px) makes
    word candidates. A word is kept when it is line-shaped (at least 1.5 times
    as wide as tall, ``2·scale`` px to half the image tall, not cut by the
    image's top or bottom), ink covers 15–75 % of it, it stands apart from what
    is above and below (:data:`TEXT_ISOLATION`) and it sits on plain paper
    (:data:`TEXT_PAPER_STD`). Words on one baseline join into a line, and a
    line is text when it holds three or more letters of similar height on one
    baseline (letters that blur into one piece are counted by the peaks of the
    ink's column profile). Printed words pass; hair, tissue, foliage and
    gravel rarely do (on the held-out gravel and grass photos some still do:
    see ``benchmarks/bench_diagnose.py``).

    Examples
    --------
    >>> import numpy as np
    >>> from PIL import Image, ImageDraw, ImageFont
    >>> page = Image.new("L", (160, 40), 235)
    >>> ImageDraw.Draw(page).text((8, 8), "Slide B-17", fill=20, font=ImageFont.load_default(size=22))
    >>> blurred = resize(resize(np.asarray(page, np.float32) / 255, scale=0.25), scale=4)  # as from an LR
    >>> [(line.box, line.glyph_height) for line in text_lines(blurred, scale=4)]
    [((slice(9, 36, None), slice(5, 113, None)), 17.5)]
    >>> text_lines(np.zeros((64, 64), np.float32))
    []
    """
    from scipy import ndimage

    h_img, w_img = plane.shape
    s = max(1, int(scale))
    win = 4 * s + 3
    # word candidates: (y0, x0, y1, x1, heights of their ink pieces, vertical centres of those pieces)
    cands: list[tuple[int, int, int, int, list[float], list[float], int, list[float]]] = []
    dark = ndimage.grey_closing(plane, size=win) - plane
    light = plane - ndimage.grey_opening(plane, size=win)
    for polarity, th in enumerate((dark, light)):
        ink = th > TEXT_CONTRAST
        if not ink.any():
            continue
        words = ndimage.binary_closing(ink, np.ones((1, 2 * s + 1), bool)) | ink
        lab, n = ndimage.label(words)
        pieces_lab, _ = ndimage.label(ink)
        for i, sl in enumerate(ndimage.find_objects(lab), start=1):
            if sl is None:
                continue
            hh, ww = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
            if not (2 * s <= hh <= h_img / 2 and ww >= 1.5 * hh):
                continue
            if sl[0].start == 0 or sl[0].stop == h_img:  # cut by the image's top or bottom: not a whole line
                continue
            comp = lab[sl] == i
            fill = float((ink[sl] & comp).sum()) / comp.size
            if not 0.15 <= fill <= 0.75:
                continue
            ids = np.unique(pieces_lab[sl][comp & ink[sl]])
            ids = ids[ids > 0]
            boxes = [b for b in ndimage.find_objects(pieces_lab[sl] * np.isin(pieces_lab[sl], ids))
                     if b is not None]
            # the paper: what the top-hat leaves untouched in the word's box. Letters are printed on something
            # plainer than themselves (a label, a sign, a sky); hair, stones and leaves are all "letters"
            paper = plane[sl][th[sl] < 0.25 * TEXT_CONTRAST]
            paper_std = float(paper.std()) if paper.size >= 8 else 1.0
            heights = [float(b[0].stop - b[0].start) for b in boxes]
            centres = [sl[0].start + (b[0].stop + b[0].start) / 2 for b in boxes]
            n_letters = _letter_peaks(np.where(comp, th[sl], 0.0), hh)
            if sum(hgt >= 0.5 * max(heights) for hgt in heights) < 3 <= n_letters:
                # blurred or bold letters touch and make one piece: count them by the ink's column
                # profile instead (one peak per letter stem), each as tall as the word
                heights, centres = [float(hh)] * n_letters, [(sl[0].start + sl[0].stop) / 2] * n_letters
            # printed lines stand apart: leading or plain background above and below them. Rows of stones,
            # leaves or cells have as much "ink" just above and below as inside
            band = max(2, int(0.4 * hh))
            inside = float(ink[sl].mean())
            around_v = []
            if sl[0].start >= 2:
                around_v.append(float(ink[max(0, sl[0].start - band):sl[0].start, sl[1]].mean()))
            if sl[0].stop <= h_img - 2:
                around_v.append(float(ink[sl[0].stop:sl[0].stop + band, sl[1]].mean()))
            if around_v and inside < TEXT_ISOLATION * float(np.mean(around_v)):
                continue
            cands.append((sl[0].start, sl[1].start, sl[0].stop, sl[1].stop, heights, centres, polarity,
                          [paper_std]))
    # words on one baseline (same polarity and height, the same rows, a gap under two word heights) make
    # one line; bold or blurred letters can touch and make one piece, so letters are counted per line
    lines = [{"y0": y0, "x0": x0, "y1": y1, "x1": x1, "ph": list(ph), "pc": list(pc), "pol": pol,
              "paper": list(paper_l)} for y0, x0, y1, x1, ph, pc, pol, paper_l in sorted(cands)]

    def one_line(a: dict, b: dict) -> bool:
        ha, hb = a["y1"] - a["y0"], b["y1"] - b["y0"]
        overlap = min(a["y1"], b["y1"]) - max(a["y0"], b["y0"])
        gap = max(b["x0"] - a["x1"], a["x0"] - b["x1"])
        return (a["pol"] == b["pol"] and min(ha, hb) >= 0.7 * max(ha, hb) and overlap > 0.6 * min(ha, hb)
                and gap < 2 * max(ha, hb))

    merged = True
    while merged:  # a line that grew may now reach another: merge until nothing changes
        merged = False
        for i, a in enumerate(lines):
            b = next((b for b in lines[i + 1:] if one_line(a, b)), None)
            if b is not None:
                a.update(y0=min(a["y0"], b["y0"]), x0=min(a["x0"], b["x0"]), y1=max(a["y1"], b["y1"]),
                         x1=max(a["x1"], b["x1"]))
                for k in ("ph", "pc", "paper"):
                    a[k] += b[k]
                lines.remove(b)
                merged = True
                break
    out: list[TextLine] = []
    for m in lines:
        ph, pc = np.array(m["ph"]), np.array(m["pc"])
        if not len(ph):
            continue
        tall = ph >= 0.5 * ph.max()  # letters, not dots and accents
        # three or more letters of one height on one baseline: printed text, not a blob or a lone edge
        if tall.sum() < 3:
            continue
        if ph[tall].std() > 0.35 * ph[tall].mean() or pc[tall].std() > 0.25 * ph[tall].mean():
            continue
        if float(np.median(m["paper"])) > TEXT_PAPER_STD:  # letters on plain paper, not on more "letters"
            continue
        # the letters' height: the median of the letter pieces' (x-height for lower case); the words' full ink
        # height (ascender to descender) separated soup from kept letters less well on the calibration photos
        box = (slice(max(0, m["y0"] - s), min(h_img, m["y1"] + s)),
               slice(max(0, m["x0"] - s), min(w_img, m["x1"] + s)))
        out.append(TextLine(box, float(np.median(ph[tall]))))
    return out


def text_mask(plane: np.ndarray, *, scale: int = 1) -> np.ndarray:
    """Boolean mask of printed text: the boxes of :func:`text_lines`.

    Examples
    --------
    >>> import numpy as np
    >>> text_mask(np.zeros((64, 64), np.float32)).any()
    np.False_
    """
    mask = np.zeros(plane.shape, bool)
    for line in text_lines(plane, scale=scale):
        mask[line.box] = True
    return mask


def text_warping(lr: np.ndarray, sr: np.ndarray, *, reference: np.ndarray | None = None) -> Finding:
    """Text warping (alphabet soup): letters the input cannot pin down, drawn crisp anyway.

    A letter a few input pixels tall is not determined by the input: many
    letters reduce to the same few samples, and a model that draws crisp strokes
    there picks one, often another letter. Printed text is found by
    :func:`text_lines` on the interpolated input. Each line's score adds two
    pieces of evidence:

    * **guessed strokes**: how much sharper than interpolation the SR draws the
      line (mean gradient ratio − 1) per input pixel of letter area
      (letter height in input pixels, squared): sharpening a 3-px letter
      commits to a shape the input does not hold, sharpening a 10-px one does
      little harm;
    * **round trip**: the SR brought back to the input's size (bicubic) against
      the input, beyond bicubic's own round-trip error, as a fraction of the
      line's ink-to-paper contrast: letters that no longer reduce to what the
      input held were redrawn.

    The score is the worst line's. Not judged when no text is found. A
    reference changes nothing here: stroke overlap with the true glyphs cannot
    tell a right letter from a wrong one (a crisp wrong letter overlaps the
    truth more than a blurred right one).

    Examples
    --------
    >>> import numpy as np
    >>> lr = np.ones((32, 32), np.float32)
    >>> text_warping(lr, resize(lr, scale=2)).status
    'not judged'
    """
    return DETECTORS["text_warping"](lr, sr, reference=reference)


@detector("text_warping", threshold=TEXT_THRESHOLD, units="guessed strokes + round-trip error",
          title="Text warping (alphabet soup)",
          trust="held-out recall 0.76, false positives 12%: textured photos (gravel, grass) can pass for "
                "text on plain paper, and whether a small letter was kept cannot always be told from the "
                "input; read the letters against the source")
def _text_warping(p: Prepared) -> Finding:
    from scipy import ndimage

    h, w = p.sr.shape
    lines = text_lines(p.base, scale=p.scale)
    if not lines:
        return Finding("text_warping", 0.0, np.zeros((h, w), np.float32),
                       "not judged: no printed text found (lines of three or more high-contrast glyphs)",
                       {"text_fraction": 0.0, "threshold": TEXT_THRESHOLD}, False, judged=False)
    per_line = []
    heat = np.zeros((h, w), np.float32)
    down_sr = resize(p.sr, size=p.lr.shape, method="bicubic") if p.scale > 1 else p.sr
    down_b = resize(p.base, size=p.lr.shape, method="bicubic") if p.scale > 1 else p.base
    s = p.scale
    for line in lines:
        box = line.box
        lb = (slice(box[0].start // s, -(-box[0].stop // s)), slice(box[1].start // s, -(-box[1].stop // s)))
        lo, hi = np.percentile(p.lr[lb], [5, 95])
        contrast = max(float(hi - lo), 0.05)
        round_trip = (float(np.abs(down_sr[lb] - p.lr[lb]).mean())
                      - float(np.abs(down_b[lb] - p.lr[lb]).mean())) / contrast
        g_sr = float(ndimage.gaussian_gradient_magnitude(p.sr[box], 0.7).mean())
        g_b = float(ndimage.gaussian_gradient_magnitude(p.base[box], 0.7).mean())
        sharpening = g_sr / max(g_b, 1e-6)
        # letter height in input pixels; below TEXT_MIN_LETTER every letter is equally undetermined, and the
        # score must not explode on a 1-px "letter" (a speck of texture that lined up)
        letter = max(line.glyph_height / s, TEXT_MIN_LETTER)
        guessed = max(0.0, sharpening - 1.0) / letter ** 2
        score = max(0.0, guessed + TEXT_RT_WEIGHT * round_trip)
        entry = {"box": [box[0].start, box[1].start, box[0].stop, box[1].stop],
                 "letter_height_input_px": round(letter, 2), "sharpening": sharpening,
                 "guessed_strokes": guessed, "round_trip": round_trip, "score": score}
        per_line.append(entry)
    worst = max(per_line, key=lambda b: b["score"])
    score = float(worst["score"])
    for e in per_line:  # lines shaded by their own score: the worst one fullest
        y0, x0, y1, x1 = e["box"]
        v = np.float32(min(1.0, e["score"] / max(score, TEXT_THRESHOLD, 1e-6)))
        heat[y0:y1, x0:x1] = np.maximum(heat[y0:y1, x0:x1], v)
    flagged = score > TEXT_THRESHOLD
    n = int(sum((b[2] - b[0]) * (b[3] - b[1]) for b in (e["box"] for e in per_line)))
    y0, x0 = worst["box"][:2]
    expl = (
        f"{len(per_line)} text line(s); the worst (at x={x0}, y={y0}) has letters "
        f"{worst['letter_height_input_px']:.1f} input px tall, drawn {worst['sharpening']:.1f}× as sharp as "
        f"interpolation, and, shrunk back to the input's size, misses the input by "
        f"{100 * worst['round_trip']:+.0f}% "
        f"of the line's contrast beyond what bicubic misses: score {score:.3f} against the input "
        f"(threshold {TEXT_THRESHOLD:.3f}): "
        + ("letters too small in the input to pin down were drawn crisp, so their shapes are the model's "
           "guess (alphabet soup); read them against the source, keep text interpolated "
           "(upscalekit.diagnose.keep_interpolated_in) or use a milder model" if flagged
           else "letters are large enough, or drawn softly enough, to keep the input's shapes")
    )
    if p.reference is not None:
        expl += ("; a reference does not change this verdict: stroke overlap with the true glyphs cannot "
                 "tell a right letter from a wrong one, so read the letters against it yourself")
    details = {"score": score, "text_fraction": n / (h * w), "lines": per_line,
               "worst_box": dict(zip(("y0", "x0", "y1", "x1"), worst["box"], strict=True)),
               "threshold": TEXT_THRESHOLD, "against": "input"}
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
    >>> yy, xx = np.mgrid[:64, :64]
    >>> weave = 0.3 * np.sin(np.pi * xx / 6) * np.sin(np.pi * yy / 6)  # a 12-px period the input lacks
    >>> false_regularity(lr, np.clip(resize(lr, scale=2) + weave, 0, 1).astype(np.float32)).flagged
    True
    """
    return DETECTORS["false_regularity"](lr, sr, reference=reference)


def _bandpass(plane: np.ndarray, s: int) -> np.ndarray:
    from scipy import ndimage

    return ndimage.gaussian_filter(plane, 0.5 * s) - ndimage.gaussian_filter(plane, 3.0 * s)


def _tiles(plane: np.ndarray, t: int, step: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    h, w = plane.shape
    ys = list(range(0, max(1, h - t + 1), step))
    xs = list(range(0, max(1, w - t + 1), step))
    pos = [(y, x) for y in ys for x in xs]
    return np.stack([plane[y:y + t, x:x + t] for y, x in pos]).astype(np.float64), pos


@detector("false_regularity", threshold=REGULARITY_THRESHOLD,
          units="excess autocorrelation", title="False regularity (brick wallpaper)",
          trust="validated on simulated stamps only: held-out recall 0.83, false positives 4%")
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
        f"tiles repeat with autocorrelation {score:.2f} above the bicubic input's (threshold "
        f"{REGULARITY_THRESHOLD:.2f}): "
        + (f"invented repeating texture (period ≈ {period:.0f} px); lower strength, try 2×+2×, or a "
           "less generative model" if flagged else "no periodicity beyond the bicubic input's")
    )
    details = {"excess_autocorr": score, "worst_tile": list(pos[worst]), "worst_lag": lag_sr[worst].tolist(),
               "worst_sr_autocorr": float(r_sr[worst]), "worst_input_autocorr": float(r_b[worst]),
               "tile": t, "threshold": REGULARITY_THRESHOLD}
    return Finding("false_regularity", score, heat, expl, details, flagged)


# --- tile seams ------------------------------------------------------------------------------------
_SEAM_CHUNKS = 8


def _boundary_evidence(plane: np.ndarray, base: np.ndarray, scale: int) -> np.ndarray:
    """Per row chunk and column boundary x (between columns x-1 and x): the SR's unexplained step.

    In each of :data:`_SEAM_CHUNKS` horizontal bands, the median absolute step
    across the boundary is compared with the median step across the columns
    2–4 px away (log ratio, ≥ 0). Where the base (the interpolated input) has
    an edge within ``scale`` px of the boundary in that band, the content
    explains the step and the evidence is 0: a label box's border, a window
    frame, a page column are not seams.
    """
    from scipy import ndimage

    h, w = plane.shape
    bands = np.array_split(np.arange(h), min(_SEAM_CHUNKS, max(1, h // 8)))
    d_sr = np.abs(np.diff(plane, axis=1))
    d_b = np.abs(np.diff(base, axis=1))
    m_sr = np.stack([np.median(d_sr[b], axis=0) for b in bands])  # chunks × (w-1)
    m_b = np.stack([np.median(d_b[b], axis=0) for b in bands])
    fp = np.array([1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1], bool)[None]  # columns 2–4 px away, both sides
    neigh = ndimage.median_filter(m_sr, footprint=fp, mode="nearest") + 1e-4
    neigh_b = ndimage.median_filter(m_b, footprint=fp, mode="nearest") + 1e-4
    # the base's own relative step at the same boundary is subtracted: steps the input holds
    # (a blocky JPEG's, a hard edge's) are not the tiles' doing
    r = np.maximum(np.log(np.maximum(m_sr / neigh, 1.0)) - np.log(np.maximum(m_b / neigh_b, 1.0)), 0.0)
    win = np.ones((1, 2 * scale + 1), bool)
    near_b = ndimage.maximum_filter(m_b, footprint=win, mode="nearest")
    typical_b = np.median(m_b, axis=1, keepdims=True) + 1e-4
    explained = near_b > SEAM_BASE_EDGE * typical_b
    return np.where(explained, 0.0, r)


def _grid_search(strength: np.ndarray, min_period: int) -> tuple[float, int, int, float]:
    """Best (score, period, offset, rival) of boundary grids x ≡ offset (mod period) with ≥ 3 boundaries.

    ``strength[x - 1]`` is boundary x's evidence (median over bands). A grid's
    score is the lower quartile over its boundaries (the weakest of three), so a
    couple of strong edges cannot make a grid; when a divisor of the best period on the same offset scores
    nearly as well, the divisor is the real tile size. ``rival`` is the best score of the grids that share
    none of the winner's lines: with thousands of (period, offset) grids to choose from, busy texture
    lines some up by chance, and then other, unrelated grids score about as well; a tiling grid stands out.
    """
    import warnings

    n = len(strength) + 1
    xs = np.arange(2, n - 2)  # boundaries 2 px or more from the image's edges
    vals = strength[xs - 1]
    table: dict[int, tuple[float, int]] = {}
    scores: dict[int, np.ndarray] = {}
    for period in range(min_period, (n - 2) // 3 + 1):
        grid = np.full((n // period + 1, period), np.nan)
        grid[xs // period, xs % period] = vals  # column o: the boundaries x ≡ o (mod period)
        counts = np.isfinite(grid).sum(axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            # a low quantile, not the mean or median: nearly every boundary of the grid must be a seam
            med = np.where(counts >= 3, np.nanquantile(grid, 0.25, axis=0, method="lower"), -1.0)
        scores[period] = med
        o = int(med.argmax())
        if med[o] >= 0:
            table[period] = (float(med[o]), o)
    if not table:
        return (0.0, 0, 0, 0.0)
    period = max(table, key=lambda k: table[k][0])
    for k in range(period // min_period, 1, -1):  # smallest divisor that explains the grid as well
        d = period / k
        if d.is_integer() and int(d) in table:
            sd, od = table[int(d)]
            if od == table[period][1] % int(d) and sd >= 0.8 * table[period][0]:
                period = int(d)
                break
    sc, o = table[period]
    lines = xs[xs % period == o]
    rival = 0.0
    for p_, med in scores.items():
        other = med.copy()
        other[np.unique(lines % p_)] = -1.0  # grids through any of the winner's lines are not rivals
        rival = max(rival, float(other.max()))
    return (sc, period, o, rival)


def tile_seams(lr: np.ndarray, sr: np.ndarray, *, reference: np.ndarray | None = None) -> Finding:
    """Tile seams: several parallel discontinuities at one period, spanning the image.

    Processing an image in tiles without overlap (or with too little) leaves
    each tile's borders computed from padding, so neighbouring tiles disagree
    where they meet: a step across a straight line, the full height (or width)
    of the image, repeated at the tile size. For every column boundary, in each
    of 8 bands, the SR's step is compared with its neighbours' (a log ratio),
    except where the interpolated input has an edge nearby (content: boxes,
    frames, page columns); a boundary's evidence is its median over bands (a
    seam spans the image). Every period from max(8, 2·scale + 1) px (at least 3
    boundaries) and offset is scored by the lower quartile of its boundaries' evidence;
    the score is the best grid's margin over the best grid that shares none of
    its lines (among thousands of grids, busy texture lines some up by chance,
    and then unrelated grids score about as well; a tiling grid stands out),
    over columns and rows. Not judged when the image is too small to hold 3
    boundaries at the shortest period.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> lr = rng.random((32, 32)).astype(np.float32)
    >>> tile_seams(lr, resize(lr, scale=4)).flagged
    False
    """
    return DETECTORS["tile_seams"](lr, sr, reference=reference)


def _pixel_replicated(plane: np.ndarray, s: int) -> bool:
    """Whether the steps of ``plane`` sit almost only every ``s`` px (nearest-neighbour enlarging)."""
    d = np.abs(np.diff(plane, axis=1)).mean(axis=0)
    by_phase = np.array([d[k::s].mean() for k in range(s)])
    return bool(by_phase.max() > 3.0 * np.delete(by_phase, by_phase.argmax()).mean() + 1e-6)


@detector("tile_seams", threshold=SEAM_THRESHOLD,
          units="grid's log step ratio over the best unrelated grid's", title="Tile seams")
def _tile_seams(p: Prepared) -> Finding:
    h, w = p.sr.shape
    min_period = max(8, 2 * p.scale + 1)
    heat = np.zeros((h, w), np.float32)
    axes: dict[str, dict] = {}
    blocky = min(p.lr.shape) >= 24 and _blockiness(p.lr) > BLOCKY_INPUT
    for axis, plane, base in (("x", p.sr, p.base), ("y", p.sr.T, p.base.T)):
        if plane.shape[1] < 3 * min_period + 3:
            axes[axis] = {"judged": False}
            continue
        ev = _boundary_evidence(plane, base, p.scale)
        strength = ev.mean(axis=0)  # over bands: a seam crosses most of them
        sc, period, offset, rival = _grid_search(strength, min_period)
        sc = max(0.0, sc - rival)  # the grid's margin over the best unrelated grid
        # a grid that is part of a finer lattice of equally strong lines is that lattice, not tiles: the
        # pixel grid of nearest-neighbour enlarging (every `scale` px) or a JPEG's 8×8 blocks redrawn
        # (every 8·scale px, jpeg_blocks' finding); a tile grid must stand out from the lattice's other lines
        for g in (p.scale, 8 * p.scale):
            if period % g or (g == 8 * p.scale and not blocky):
                continue
            if g == period:  # the grid is the lattice itself
                sc = 0.0 if g == 8 * p.scale else sc
                continue
            lattice = np.arange(offset % g if offset % g >= 2 else offset % g + g, plane.shape[1] - 2, g)
            off_grid = lattice[(lattice - offset) % period != 0]
            if len(off_grid):
                sc = max(0.0, sc - float(np.median(strength[off_grid - 1])))
        cols = np.arange(offset if offset >= 2 else offset + period, plane.shape[1] - 2, period)
        spans = (ev[:, cols - 1] > 0.5 * max(sc, 1e-6)).mean(axis=0) if len(cols) else np.zeros(0)
        axes[axis] = {"judged": True, "score": sc, "rival_grid": round(rival, 3), "period": int(period),
                      "offset": int(offset),
                      "boundaries": cols.tolist(), "boundary_strength": strength[cols - 1].round(3).tolist(),
                      "band_fraction": spans.round(2).tolist(), "seam": bool(sc > SEAM_THRESHOLD)}
        axes[axis]["_cols"] = cols
        axes[axis]["_v"] = np.clip(strength[cols - 1] / max(SEAM_THRESHOLD, 1e-6), 0, 1).astype(np.float32)
    # draw the grid lines of the axes that show a grid (or of the best axis, faintly via the score)
    best_axis = max((k for k in axes if axes[k]["judged"]), key=lambda k: axes[k]["score"], default=None)
    for axis, a in axes.items():
        if not a["judged"] or not (a["seam"] or axis == best_axis):
            a.pop("_cols", None), a.pop("_v", None)
            continue
        cols, v = a.pop("_cols"), a.pop("_v")
        if axis == "x":
            heat[:, cols] = np.maximum(heat[:, cols], v[None])
            heat[:, cols - 1] = np.maximum(heat[:, cols - 1], v[None])
        else:
            heat[cols, :] = np.maximum(heat[cols, :], v[:, None])
            heat[cols - 1, :] = np.maximum(heat[cols - 1, :], v[:, None])
    judged = [a for a in axes.values() if a["judged"]]
    details = {"columns": axes["x"], "rows": axes["y"], "threshold": SEAM_THRESHOLD}
    if p.scale > 1 and _pixel_replicated(p.sr, p.scale):
        return Finding("tile_seams", 0.0, np.zeros((h, w), np.float32),
                       f"not judged: the output is pixel-replicated (nearest-neighbour ×{p.scale}), so every "
                       "pixel edge is a step and a tiling grid cannot be told apart from it", details, False,
                       judged=False)
    if not judged:
        return Finding("tile_seams", 0.0, heat, f"not judged: the image ({w}×{h}) is too small to hold 3 "
                       f"tile boundaries at the shortest period ({min_period} px)", details, False,
                       judged=False)
    from scipy import ndimage

    heat = np.clip(ndimage.maximum_filter(heat, 3), 0, 1).astype(np.float32)
    score = max(a["score"] for a in judged)
    seen = [(k, a) for k, a in axes.items() if a["judged"] and a["score"] > SEAM_THRESHOLD]
    flagged = bool(seen)
    if flagged:
        def where(k: str, a: dict) -> str:
            at = ", ".join(str(c) for c in a["boundaries"][:6]) + (", …" if len(a["boundaries"]) > 6 else "")
            tile = a["period"] / p.scale
            return (f"{'vertical' if k == 'x' else 'horizontal'} lines every {a['period']} px (tiles of "
                    f"{tile:g} input px) at {'x' if k == 'x' else 'y'} = {at}")

        expl = (f"{'; '.join(where(k, a) for k, a in seen)}: each a step the bicubic input does not have, "
                f"across most of the image (score {score:.2f} above the best unrelated set of lines, "
                f"threshold {SEAM_THRESHOLD:.2f}): a tiling grid; if the image was tiled, raise the tile "
                "overlap (tile_overlap=, CLI --tile-overlap) or the tile size")
    else:
        best = max(judged, key=lambda a: a["score"])
        expl = (f"no tiling grid: the best periodic set of lines (every {best['period']} px) stands "
                f"{score:.2f} above the best unrelated set, threshold {SEAM_THRESHOLD:.2f} (measured against "
                "the bicubic input): single straight edges of the content and chance alignments in texture "
                "do not count")
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
    SR's local high-pass RMS in flat regions beyond the base's. With a reference,
    the same sigma added, in the regions the ground truth says are flat, goes to
    ``details["vs_reference"]`` (for information: the threshold is calibrated on
    the input's flat regions).

    Examples
    --------
    >>> import numpy as np
    >>> lr = np.full((32, 32), 0.5, np.float32)
    >>> noise_amplification(lr, resize(lr, scale=2)).flagged
    False
    """
    return DETECTORS["noise_amplification"](lr, sr, reference=reference)


@detector("noise_amplification", threshold=NOISE_THRESHOLD,
          units="noise sigma added, fraction of full range", title="Noise amplification",
          trust="held-out false positives 7%, on heavily textured photos where fine texture reads as noise")
def _noise_amplification(p: Prepared) -> Finding:
    from scipy import ndimage

    sr_lr = resize(p.sr, size=p.lr.shape, method="area") if p.scale > 1 else p.sr

    def added(guide_lr: np.ndarray) -> tuple[float, float, float, np.ndarray]:
        grad = ndimage.gaussian_gradient_magnitude(guide_lr, 1.0)
        flat = grad < max(np.percentile(grad, 50), 1e-4)
        before, after = haar_sigma(p.lr, flat), haar_sigma(sr_lr, flat)
        return max(0.0, after - before), before, after, flat

    score, before, after, flat = added(ndimage.gaussian_filter(p.lr, 1.5))
    flagged = score > NOISE_THRESHOLD
    hp = max(1.0, 0.5 * p.scale)
    e_sr = local_energy(p.sr, hp, 2 * p.scale)
    e_b = local_energy(p.base, hp, 2 * p.scale)
    flat_up = (np.kron(flat, np.ones((p.scale, p.scale), bool)) if p.scale > 1 else flat)
    heat = unit_map(np.maximum(e_sr - e_b, 0) * flat_up, 0.05, blur=p.scale)
    details = {"sigma_before": before, "sigma_after": after, "sigma_added": score,
               "flat_fraction": float(flat.mean()), "threshold": NOISE_THRESHOLD, "against": "input"}
    ref_clause = ""
    if p.reference is not None:
        ref_lr = resize(p.reference, size=p.lr.shape, method="area") if p.scale > 1 else p.reference
        ref_score, _, _, ref_flat = added(ref_lr)
        details["vs_reference"] = {"score": ref_score, "flat_fraction": float(ref_flat.mean()),
                                   "units": "noise sigma added, fraction of full range, in the regions the "
                                            "ground truth says are flat", "calibrated": False}
        ref_clause = (f"; in the regions the ground truth says are flat: +{255 * ref_score:.1f} "
                      f"({_NOT_CALIBRATED})")
    expl = (
        f"noise sigma {255 * before:.1f} → {255 * after:.1f} grey levels in the input's flat regions, the SR "
        f"measured at the input's size (+{255 * score:.1f}, threshold +{255 * NOISE_THRESHOLD:.1f}): "
        + ("noise was sharpened into speckle; denoise first or lower strength" if flagged
           else "noise not amplified")
        + ref_clause
    )
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
    return DETECTORS["jpeg_blocks"](lr, sr, reference=reference)


@detector("jpeg_blocks", threshold=BLOCK_THRESHOLD,
          units="block-edge hardening over interpolation", title="JPEG blocks hardened")
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
    # an input without blocks has none to amplify: the score is 0 (and says so), not a lattice measure
    score = max(0.0, b_sr / max(b_base, 1e-6) - 1.0) if b_in > BLOCKY_INPUT else 0.0
    flagged = score > BLOCK_THRESHOLD
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
        f"input blockiness {b_in:.2f} (threshold {BLOCKY_INPUT}), SR block edges {b_sr:.2f} against the "
        f"bicubic input's {b_base:.2f}: "
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

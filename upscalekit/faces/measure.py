"""Measuring what a model invented on a face, against a reference photo of the same face.

Both images are aligned with the *same* transform (from the reference's detection), so every
difference is the model's doing:

* **Identity drift proxy**: LPIPS between the aligned faces (with its spatial map when
  ``upscalekit.metrics`` provides one), and the displacement of the five landmarks re-detected on
  each, in aligned pixels and as a fraction of the eye distance. Neither is a face-recognition
  identity score; both rise when a model redraws eyes, nose or mouth.
* **Skin texture energy**: high-frequency luma energy inside a skin mask (cheeks and forehead of
  the template, intersected with a skin-colour test on colour faces). The ratio candidate /
  reference is the plastic-skin score: well below 1 means wax-smooth skin, above 1 invented grain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from upscalekit._checks import check_pair
from upscalekit.faces.align import FFHQ_TEMPLATE_512, align_face
from upscalekit.faces.detect import Face, detect_faces
from upscalekit.metrics import lpips
from upscalekit.pixels import luma

__all__ = [
    "FaceInvention",
    "face_invention",
    "landmark_displacement",
    "plot_face_invention",
    "plot_faces",
    "skin_mask",
    "texture_energy",
]


def skin_mask(aligned: np.ndarray) -> np.ndarray:
    """Boolean skin mask of an aligned (FFHQ-template) face: cheeks and forehead, skin-coloured pixels.

    The geometric regions come from the template (they avoid eyes, brows, nostrils and lips); on a
    colour face they are intersected with a YCrCb skin-tone range so hair and background drop out.
    Gray faces keep the geometric regions only.

    Examples
    --------
    >>> import numpy as np
    >>> skin_mask(np.full((512, 512, 3), 0.5, np.float32)).any()
    np.True_
    """
    import cv2

    size = aligned.shape[0]
    k = size / 512.0
    geo = np.zeros(aligned.shape[:2], np.uint8)
    for (cx, cy), (ax, ay) in (((185, 322), (36, 28)), ((328, 322), (36, 28)), ((256, 186), (52, 14))):
        cv2.ellipse(geo, (round(cx * k), round(cy * k)), (round(ax * k), round(ay * k)), 0, 0, 360, 1, -1)
    mask = geo.astype(bool)
    if aligned.ndim == 3 and aligned.shape[2] >= 3:
        rgb = aligned[..., :3]
        if np.abs(rgb - rgb.mean(-1, keepdims=True)).max() > 1e-3:  # a colour face
            ycc = cv2.cvtColor(rgb.astype(np.float32), cv2.COLOR_RGB2YCrCb)
            cr, cb = ycc[..., 1] * 255, ycc[..., 2] * 255
            tone = (cr > 133) & (cr < 180) & (cb > 77) & (cb < 135)
            if (mask & tone).sum() > 0.2 * mask.sum():  # else the tone test failed: keep geometry
                mask &= tone
    return mask


def texture_energy(
    image: np.ndarray, mask: np.ndarray | None = None, *, sigma: float = 1.5, full: bool = False
) -> float | tuple[float, np.ndarray]:
    """Mean squared high-frequency luma (image minus its Gaussian blur) inside ``mask``.

    ``full=True`` also returns the local energy map (H×W), smoothed for display.

    Examples
    --------
    >>> import numpy as np
    >>> texture_energy(np.full((32, 32, 3), 0.5, np.float32)) < 1e-12
    True
    """
    import cv2

    y = luma(image)
    hf = y - cv2.GaussianBlur(y, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    e = hf.astype(np.float64) ** 2
    m = np.ones(y.shape, bool) if mask is None else np.asarray(mask, bool)
    score = float(e[m].mean()) if m.any() else float("nan")
    if full:
        return score, cv2.GaussianBlur(e.astype(np.float32), (0, 0), 3 * sigma)
    return score


def landmark_displacement(candidate: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """Mean landmark shift between faces re-detected on two aligned images.

    Returns
    -------
    pixels, fraction_of_eye_distance
        ``nan`` when either detection fails.

    Examples
    --------
    >>> landmark_displacement(aligned_sr, aligned_hr)  # doctest: +SKIP
    (1.8, 0.014)
    """
    fc = detect_faces(candidate, threshold=0.3)
    fr = detect_faces(reference, threshold=0.3)
    if not fc or not fr:
        return float("nan"), float("nan")
    d = float(np.linalg.norm(fc[0].landmarks - fr[0].landmarks, axis=1).mean())
    iod = float(np.linalg.norm(FFHQ_TEMPLATE_512[1] - FFHQ_TEMPLATE_512[0])) * reference.shape[0] / 512.0
    return d, d / iod


@dataclass(frozen=True, eq=False)
class FaceInvention:
    """What a model changed on one face (aligned space, 512×512 by default).

    Attributes
    ----------
    face
        Detection on the reference image.
    lpips, lpips_map
        LPIPS between aligned candidate and reference, and its map; ``None`` when
        ``upscalekit.metrics`` is unavailable.
    landmark_shift_px, landmark_shift_iod
        Mean re-detected landmark displacement, in aligned pixels and eye distances.
    texture_reference, texture_candidate
        Skin high-frequency energy of each.
    plastic_ratio
        ``texture_candidate / texture_reference`` (< 1 smoother than the real skin).
    texture_map_reference, texture_map_candidate, skin
        Heatmaps and the skin mask, aligned space.
    reference, candidate
        The aligned faces.
    """

    face: Face
    lpips: float | None
    lpips_map: np.ndarray | None
    landmark_shift_px: float
    landmark_shift_iod: float
    texture_reference: float
    texture_candidate: float
    plastic_ratio: float
    texture_map_reference: np.ndarray
    texture_map_candidate: np.ndarray
    skin: np.ndarray
    reference: np.ndarray
    candidate: np.ndarray


def face_invention(
    reference: np.ndarray,
    candidate: np.ndarray,
    *,
    faces: list[Face] | None = None,
    size: int = 512,
    threshold: float = 0.5,
) -> list[FaceInvention]:
    """Per-face identity-drift and plastic-skin measures of ``candidate`` against ``reference``.

    Parameters
    ----------
    reference, candidate
        Same-size images (e.g. the real high-resolution photo and an upscaler's output).
    faces
        Detections on ``reference``; detected when omitted.

    Examples
    --------
    >>> res = face_invention(hr, sr)  # doctest: +SKIP
    >>> res[0].plastic_ratio  # doctest: +SKIP
    0.62
    """
    reference, candidate = check_pair(reference, candidate, ("reference", "candidate"))
    found = detect_faces(reference, threshold=threshold) if faces is None else faces
    out = []
    for f in found:
        ar = align_face(reference, f, size).image
        ac = align_face(candidate, f, size).image
        skin = skin_mask(ar)
        tr, mr = texture_energy(ar, skin, full=True)  # type: ignore[misc]
        tc, mc = texture_energy(ac, skin, full=True)  # type: ignore[misc]
        lp, lp_map = lpips(ar, ac, spatial=True)
        px, iod = landmark_displacement(ac, ar)
        ratio = tc / tr if tr > 0 else float("nan")
        out.append(FaceInvention(f, lp, lp_map, px, iod, tr, tc, ratio, mr, mc, skin, ar, ac))
    return out


def plot_face_invention(
    results: list[FaceInvention], *, titles: tuple[str, str] = ("reference", "candidate")
) -> Any:
    """One row per face: both aligned faces, skin texture heatmaps, LPIPS map. Returns the Figure.

    Examples
    --------
    >>> fig = plot_face_invention(face_invention(hr, sr))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    n = max(1, len(results))
    fig, axes = plt.subplots(n, 5, figsize=(15, 3.2 * n), squeeze=False)
    for row, r in zip(axes, results, strict=False):
        vmax = float(np.percentile(np.concatenate([r.texture_map_reference.ravel(),
                                                   r.texture_map_candidate.ravel()]), 99.5))
        row[0].imshow(r.reference)
        row[0].set_title(titles[0])
        row[1].imshow(r.candidate)
        lp = "n/a" if r.lpips is None else f"{r.lpips:.3f}"
        row[1].set_title(f"{titles[1]}: LPIPS {lp}, shift {r.landmark_shift_px:.1f}px")
        for ax, m, t in ((row[2], r.texture_map_reference, r.texture_reference),
                         (row[3], r.texture_map_candidate, r.texture_candidate)):
            ax.imshow(m, cmap="magma", vmin=0, vmax=vmax)
            ax.contour(r.skin, levels=[0.5], colors="cyan", linewidths=0.6)
            ax.set_title(f"skin HF energy {t:.2e}")
        row[3].set_xlabel(f"plastic ratio {r.plastic_ratio:.2f} (<1 smoother than reference)")
        if r.lpips_map is not None:
            row[4].imshow(np.squeeze(r.lpips_map), cmap="viridis")
            row[4].set_title("LPIPS map")
        else:
            row[4].text(0.5, 0.5, "upscalekit.metrics.lpips\nnot available", ha="center", va="center")
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    return fig


def plot_faces(image: np.ndarray, faces: list[Face], *, ax: Any = None) -> Any:
    """Show an image with each face's box, score and five landmarks. Returns the Axes.

    Examples
    --------
    >>> plot_faces(image, detect_faces(image))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(image)
    colours = ["red", "yellow", "magenta", "lime", "cyan"]
    for f in faces:
        x0, y0, x1, y1 = f.box
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color="red", lw=1.5))
        ax.text(x0, y0 - 3, f"{f.score:.3f}", color="red", fontsize=9)
        ax.scatter(f.landmarks[:, 0], f.landmarks[:, 1], c=colours, s=14)
    ax.set_title(f"{len(faces)} face(s)")
    ax.axis("off")
    return ax

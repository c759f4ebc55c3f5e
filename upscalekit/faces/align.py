"""Alignment to the FFHQ five-point template, feathered paste-back and colour matching.

Face restorers (GFPGAN, RestoreFormer, CodeFormer) were trained on FFHQ faces cropped so the eyes,
nose and mouth corners sit at fixed places in a 512×512 square. We map the five detected landmarks
onto that template with a similarity transform (rotation, uniform scale, translation; least squares,
Umeyama 1991) and warp. Paste-back warps the (restored) square back and blends it through a mask
that is built in aligned space, eroded away from the square's border and Gaussian-blurred, so the
seam has no visible box and the blurred edge never reaches pixels the warp had to invent (the
border halo of naive pipelines).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from upscalekit._checks import check_image
from upscalekit.faces.detect import Face
from upscalekit.pixels import as_rgb

__all__ = [
    "AlignedFace",
    "FFHQ_TEMPLATE_512",
    "align_face",
    "color_match",
    "face_mask",
    "paste_back",
    "similarity_transform",
]

#: Five-point FFHQ template at 512×512 (eye, eye, nose tip, mouth corner, mouth corner), the one used by
#: facexlib's FaceRestoreHelper for GFPGAN and CodeFormer.
FFHQ_TEMPLATE_512 = np.array(
    [
        [192.98138, 239.94708],
        [318.90277, 240.1936],
        [256.63416, 314.01935],
        [201.26117, 371.41043],
        [313.08905, 371.15118],
    ]
)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity transform (Umeyama) mapping points ``src`` onto ``dst``; 2×3 matrix.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0, 0], [1, 0], [0, 1]], float)
    >>> similarity_transform(p, 2 * p + 3).round(6).tolist()
    [[2.0, 0.0, 3.0], [0.0, 2.0, 3.0]]
    """
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    e = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:  # no reflections
        e[1, 1] = -1
    rot = u @ e @ vt
    var_s = (s**2).sum() / len(src)
    scale = float((sig * np.diag(e)).sum() / var_s)
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - scale * rot @ mu_s
    return m


@dataclass(frozen=True, eq=False)
class AlignedFace:
    """A face warped onto the FFHQ template.

    Attributes
    ----------
    image
        ``size``×``size``×3 float32 aligned crop.
    matrix
        2×3 affine map from source-image pixels to aligned pixels.
    size
        Side of the aligned square.
    face
        The detection it came from (source-image pixels).
    """

    image: np.ndarray
    matrix: np.ndarray
    size: int
    face: Face


def _rgb(image: np.ndarray, name: str) -> np.ndarray:
    return as_rgb(check_image(image, name))


def align_face(image: np.ndarray, face: Face, size: int = 512) -> AlignedFace:
    """Warp ``face`` onto the FFHQ template in a ``size``×``size`` square.

    Pixels outside the source image are filled by mirroring the image at its edge: a black
    fill would be restored as a black border and bleed back as a halo, and edge replication
    smears the last row and column into streaks across the crop.

    Examples
    --------
    >>> aligned = align_face(image, detect_faces(image)[0])  # doctest: +SKIP
    >>> aligned.image.shape  # doctest: +SKIP
    (512, 512, 3)
    """
    import cv2

    img = _rgb(image, "image")
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels, got {size}")
    m = similarity_transform(face.landmarks, FFHQ_TEMPLATE_512 * (size / 512.0))
    out = cv2.warpAffine(img, m, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT_101)
    return AlignedFace(np.clip(out, 0, 1).astype(np.float32), m, size, face)


def face_mask(
    size: int = 512, *, shape: str = "ellipse", erode: float = 0.04, blur: float = 0.03
) -> np.ndarray:
    """Feathered blending mask in aligned space, float32 in [0, 1], ``size``×``size``.

    Parameters
    ----------
    shape
        ``"ellipse"`` (forehead to chin; hair and background are left to the upscaler) or
        ``"square"`` (the whole crop, as in the official pipeline).
    erode
        Erosion radius as a fraction of ``size``: the hard mask is shrunk away from its edge first...
    blur
        ...then blurred with this Gaussian sigma (fraction of ``size``), so the feather stays inside
        the square and the mask is exactly zero on its border.

    Examples
    --------
    >>> m = face_mask(128)
    >>> float(m[64, 64]), float(m[0, 0])
    (1.0, 0.0)
    """
    import cv2

    hard = np.zeros((size, size), np.float32)
    if shape == "ellipse":
        k = size / 512.0
        centre, axes = (round(256 * k), round(290 * k)), (round(175 * k), round(215 * k))
        cv2.ellipse(hard, centre, axes, 0, 0, 360, 1.0, -1)
    elif shape == "square":
        hard[:] = 1.0
    else:
        raise ValueError(f"shape must be 'ellipse' or 'square', got {shape!r}")
    r = max(1, round(erode * size))
    sigma = max(0.5, blur * size)
    # keep 3 sigma clear of the square's border so the blurred mask is zero there
    edge = int(np.ceil(3 * sigma)) + 1
    hard[:edge] = hard[-edge:] = 0.0
    hard[:, :edge] = hard[:, -edge:] = 0.0
    hard = cv2.erode(hard, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    soft = cv2.GaussianBlur(hard, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)
    soft[soft < 1e-3] = 0.0  # exact zero far from the face: outside pixels are untouched
    soft[soft > 1 - 1e-3] = 1.0
    return soft


def color_match(image: np.ndarray, reference: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Shift and scale each channel of ``image`` to the mean/std of ``reference`` inside ``mask``.

    Restorers drift in colour (warmer skin, lifted blacks); this puts the face back in the
    photo's colour statistics before it is pasted in.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.full((4, 4, 3), 0.2, np.float32); b = np.full((4, 4, 3), 0.5, np.float32)
    >>> round(float(color_match(a, b).mean()), 3)
    0.5
    """
    image = _rgb(image, "image")
    reference = _rgb(reference, "reference")
    w = np.ones(image.shape[:2], np.float64) if mask is None else np.asarray(mask, np.float64)
    tot = w.sum()
    if tot <= 0:
        return image.copy()
    out = np.empty_like(image)
    for c in range(3):
        a, b = image[..., c].astype(np.float64), reference[..., c].astype(np.float64)
        ma, mb = (a * w).sum() / tot, (b * w).sum() / tot
        sa = np.sqrt(((a - ma) ** 2 * w).sum() / tot)
        sb = np.sqrt(((b - mb) ** 2 * w).sum() / tot)
        gain = sb / sa if sa > 1e-6 else 1.0
        out[..., c] = (a - ma) * gain + mb
    return np.clip(out, 0, 1).astype(np.float32)


def paste_back(
    background: np.ndarray, face_image: np.ndarray, matrix: np.ndarray, *, mask: np.ndarray | None = None
) -> np.ndarray:
    """Warp an aligned face back into ``background`` and blend it through a feathered mask.

    Parameters
    ----------
    background
        Image to paste into (the output resolution).
    face_image
        Aligned square (``size``×``size``×3).
    matrix
        2×3 map from ``background`` pixels to aligned pixels (as from :func:`align_face` on an image
        of ``background``'s size).
    mask
        Aligned-space mask; default :func:`face_mask` of the square's size.

    Only the face's bounding region is warped, so large images stay fast.

    Examples
    --------
    >>> out = paste_back(image, aligned.image, aligned.matrix)  # doctest: +SKIP
    """
    import cv2

    bg = _rgb(background, "background")
    face_image = _rgb(face_image, "face_image")
    size = face_image.shape[0]
    if face_image.shape[:2] != (size, size):
        raise ValueError(f"face_image must be square, got shape {face_image.shape}")
    if mask is None:
        mask = face_mask(size)
    m = np.asarray(matrix, np.float64)
    inv = cv2.invertAffineTransform(m)
    n = size - 1
    corners = np.array([[0, 0, 1], [n, 0, 1], [0, n, 1], [n, n, 1]], float) @ inv.T
    h, w = bg.shape[:2]
    x0 = max(0, int(np.floor(corners[:, 0].min())) - 2)
    y0 = max(0, int(np.floor(corners[:, 1].min())) - 2)
    x1 = min(w, int(np.ceil(corners[:, 0].max())) + 3)
    y1 = min(h, int(np.ceil(corners[:, 1].max())) + 3)
    out = bg.copy()
    if x1 <= x0 or y1 <= y0:
        return out
    roi = inv.copy()
    roi[:, 2] -= (x0, y0)  # warp into the region's own coordinates
    dsize = (x1 - x0, y1 - y0)
    back = cv2.warpAffine(face_image, roi, dsize, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT_101)
    alpha = cv2.warpAffine(mask.astype(np.float32), roi, dsize, flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)[..., None]
    region = out[y0:y1, x0:x1]
    out[y0:y1, x0:x1] = alpha * np.clip(back, 0, 1) + (1.0 - alpha) * region
    return out

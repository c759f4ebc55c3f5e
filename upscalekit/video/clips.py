"""Short test clips with ground truth: a real photo filmed by a known virtual camera.

A sample photo is warped by an exactly known affine camera motion (sub-pixel pan, slow
zoom) with OpenCV's Lanczos kernel, optionally with a textured disc moving across it in
another direction (an occluder, so some pixels disappear and reappear). Every HR frame
and every motion matrix is returned; the LR frames are the HR frames downscaled (bicubic,
"BI" in the video-SR literature) and degraded with per-frame independent noise and JPEG,
like a sensor and a codec would. Everything is deterministic from ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from upscalekit._checks import check_image, unknown_name
from upscalekit.io import jpeg_roundtrip
from upscalekit.resize import resize

__all__ = ["MOTIONS", "Clip", "load_photo", "make_clip"]

#: Camera motions :func:`make_clip` knows.
MOTIONS: tuple[str, ...] = ("pan", "zoom", "pan+occluder", "static")

_SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "brick", "grass", "gravel")


@dataclass(frozen=True)
class Clip:
    """A generated clip with its ground truth.

    Attributes
    ----------
    hr : list of numpy.ndarray
        Ground-truth frames (HWC float32 RGB).
    lr : list of numpy.ndarray
        Degraded low-resolution frames, ``scale`` times smaller.
    motion : numpy.ndarray
        ``(T, 2, 3)`` affine matrices mapping source-photo coordinates to HR frame pixels
        (OpenCV ``warpAffine`` convention, pixel centres at integers).
    occluder : list of numpy.ndarray or None
        Per-frame H×W float coverage of the moving occluder (1 = occluder), or ``None``.
    scale : int
        HR/LR size ratio.
    fps : fractions.Fraction
        Frame rate to use when writing the clip.
    recipe : dict
        Everything needed to regenerate it.
    """

    hr: list[np.ndarray]
    lr: list[np.ndarray]
    motion: np.ndarray
    occluder: list[np.ndarray] | None
    scale: int
    fps: Fraction = Fraction(24)
    recipe: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.hr)

    def true_flow(self, t: int, *, lr: bool = False) -> np.ndarray:
        """Exact background flow from frame ``t`` to ``t+1`` (``frame[t] ≈ warp(frame[t+1], flow)``).

        On the HR grid, or the LR grid with ``lr=True``. Wrong inside the occluder, which moves
        on its own.
        """
        if not 0 <= t < len(self) - 1:
            raise IndexError(f"t must be in 0..{len(self) - 2}, got {t}")
        a = np.vstack([self.motion[t], [0, 0, 1]])
        b = np.vstack([self.motion[t + 1], [0, 0, 1]])
        rel = b @ np.linalg.inv(a)  # HR pixel in frame t → same scene point in frame t+1
        h, w = self.hr[0].shape[:2]
        if lr:
            # LR pixel centre i maps to HR coordinate s*i + (s-1)/2 (area/bicubic downscale geometry).
            s = self.scale
            h, w = self.lr[0].shape[:2]
            up = np.array([[s, 0, (s - 1) / 2], [0, s, (s - 1) / 2], [0, 0, 1]])
            rel = np.linalg.inv(up) @ rel @ up
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
        nx = rel[0, 0] * gx + rel[0, 1] * gy + rel[0, 2]
        ny = rel[1, 0] * gx + rel[1, 1] * gy + rel[1, 2]
        return np.stack([nx - gx, ny - gy], -1).astype(np.float32)


def load_photo(name: str) -> np.ndarray:
    """A real photo as HWC float32 RGB: scikit-image's full-size originals, else ``upscalekit.samples``.

    Examples
    --------
    >>> load_photo("astronaut").shape
    (512, 512, 3)
    """
    import skimage.data

    # Full-resolution scikit-image photos first: the virtual camera needs room to move.
    if name in _SKIMAGE_PHOTOS:
        img = np.asarray(getattr(skimage.data, name)())
    else:
        try:
            from upscalekit import samples
        except ImportError:
            raise unknown_name("sample photo", name, _SKIMAGE_PHOTOS) from None
        return check_image(samples.load(name).image)[..., :3]
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3].astype(np.float32) / 255.0)


def _affine(center: np.ndarray, zoom: float, size: tuple[int, int]) -> np.ndarray:
    h, w = size
    return np.array(
        [[zoom, 0.0, (w - 1) / 2 - zoom * center[0]], [0.0, zoom, (h - 1) / 2 - zoom * center[1]]]
    )


def _disc(size: tuple[int, int], center: tuple[float, float], radius: float, ss: int = 4) -> np.ndarray:
    # Supersampled coverage so the occluder edge is antialiased like a real camera would see it.
    h, w = size
    ys = (np.arange(h * ss) + 0.5) / ss - 0.5
    xs = (np.arange(w * ss) + 0.5) / ss - 0.5
    inside = ((xs[None, :] - center[0]) ** 2 + (ys[:, None] - center[1]) ** 2) <= radius**2
    return inside.reshape(h, ss, w, ss).mean(axis=(1, 3)).astype(np.float32)


def make_clip(
    sample_image: str | np.ndarray = "astronaut",
    *,
    n_frames: int = 24,
    motion: str = "pan",
    seed: int = 0,
    scale: int = 4,
    lr_size: tuple[int, int] = (64, 64),
    velocity: tuple[float, float] = (1.3, 0.55),
    zoom_per_frame: float = 0.004,
    noise: float = 0.0,
    jpeg: int | None = None,
) -> Clip:
    """Film a real photo with a known virtual camera and degrade every frame independently.

    Parameters
    ----------
    sample_image
        Photo name (``"astronaut"``, ``"coffee"``, ``"chelsea"``…) or an HWC float image,
        larger than the HR frame plus the motion.
    n_frames
        Number of frames (24–48 keeps CPU notebooks quick).
    motion
        ``"pan"``: constant sub-pixel translation of ``velocity`` HR px/frame. ``"zoom"``:
        slow zoom-in by ``zoom_per_frame`` per frame about the centre. ``"pan+occluder"``: the
        pan plus a textured disc crossing the frame in another direction. ``"static"``:
        identical HR frames (only noise/JPEG differ).
    seed
        Seeds the per-frame noise and the occluder's start; same seed, same clip, bit for bit.
    scale
        HR / LR size ratio.
    lr_size
        ``(height, width)`` of the LR frames; HR frames are ``scale`` times larger.
    velocity
        Pan speed in HR pixels per frame (x, y); the default is 0.33/0.14 LR px per frame,
        the sub-pixel shifts video SR can exploit.
    zoom_per_frame
        Relative zoom per frame for ``"zoom"``.
    noise
        Standard deviation of Gaussian noise added to each LR frame, independently per frame.
    jpeg
        JPEG quality applied to each LR frame after the noise, or ``None``.

    Examples
    --------
    >>> clip = make_clip("astronaut", n_frames=4, lr_size=(16, 16))
    >>> len(clip.hr), clip.hr[0].shape, clip.lr[0].shape
    (4, (64, 64, 3), (16, 16, 3))
    """
    import cv2

    if motion not in MOTIONS:
        raise unknown_name("camera motion", motion, MOTIONS)
    if n_frames < 1:
        raise ValueError(f"n_frames must be at least 1, got {n_frames}")
    name = sample_image if isinstance(sample_image, str) else "<array>"
    src = load_photo(sample_image) if isinstance(sample_image, str) else check_image(sample_image)
    if src.ndim == 2:
        src = np.repeat(src[..., None], 3, axis=2)
    src = np.ascontiguousarray(src[..., :3], dtype=np.float32)
    H, W = lr_size[0] * scale, lr_size[1] * scale
    sh, sw = src.shape[:2]
    vel = np.asarray(velocity, np.float64) if motion in ("pan", "pan+occluder") else np.zeros(2)
    travel = np.abs(vel) * (n_frames - 1)
    if H + travel[1] > sh or W + travel[0] > sw:
        raise ValueError(
            f"the photo ({sw}×{sh}) is too small for {n_frames} frames of {W}×{H} HR moving "
            f"{travel[0]:.0f}×{travel[1]:.0f} px: lower lr_size, scale, n_frames or velocity"
        )
    start = np.array([sw / 2, sh / 2]) - vel * (n_frames - 1) / 2  # centre the path on the photo
    seq = np.random.SeedSequence(seed)
    occ_rng, *frame_seeds = (np.random.default_rng(s) for s in seq.spawn(n_frames + 1))

    mats, hr, occ = [], [], []
    if motion == "pan+occluder":
        tex = load_photo("coffee" if name != "coffee" else "chelsea")
        r = 0.22 * min(H, W)
        o0 = np.array([W + r * 0.5, H * occ_rng.uniform(0.3, 0.7)])
        ov = np.array([-(W + r) / max(n_frames - 1, 1), occ_rng.uniform(-0.6, 0.6)])
    for t in range(n_frames):
        z = (1 + zoom_per_frame) ** t if motion == "zoom" else 1.0
        m = _affine(start + vel * t, z, (H, W))
        frame = cv2.warpAffine(src, m, (W, H), flags=cv2.INTER_LANCZOS4, borderMode=cv2.BORDER_REFLECT101)
        frame = np.clip(frame, 0.0, 1.0)
        if motion == "pan+occluder":
            c = o0 + ov * t
            cov = _disc((H, W), (float(c[0]), float(c[1])), r)
            tm = _affine(np.array([tex.shape[1] / 2, tex.shape[0] / 2]) - (c - [W / 2, H / 2]), 1.0, (H, W))
            patch = np.clip(cv2.warpAffine(tex, tm, (W, H), flags=cv2.INTER_LANCZOS4,
                                           borderMode=cv2.BORDER_REFLECT101), 0, 1)
            frame = frame * (1 - cov[..., None]) + patch * cov[..., None]
            occ.append(cov)
        mats.append(m)
        hr.append(np.ascontiguousarray(frame, dtype=np.float32))

    lr = []
    for t, frame in enumerate(hr):
        small = resize(frame, size=lr_size, method="bicubic")
        if noise:
            small = small + frame_seeds[t].normal(0.0, noise, small.shape).astype(np.float32)
            small = np.clip(small, 0.0, 1.0).astype(np.float32)
        if jpeg is not None:
            small = jpeg_roundtrip(small, int(jpeg))
        lr.append(small)
    recipe = {
        "sample_image": name, "n_frames": n_frames, "motion": motion, "seed": seed, "scale": scale,
        "lr_size": tuple(lr_size), "velocity": tuple(velocity), "zoom_per_frame": zoom_per_frame,
        "noise": noise, "jpeg": jpeg, "downscale": "bicubic (upscalekit.resize, antialiased)",
    }
    return Clip(hr, lr, np.asarray(mats), occ or None, scale, Fraction(24), recipe)

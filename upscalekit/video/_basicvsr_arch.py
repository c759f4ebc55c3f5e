"""BasicVSR network (Chan et al., CVPR 2021), written to load BasicSR's checkpoints key for key.

Imported only by :func:`upscalekit.video.basicvsr.load_basicvsr` (it imports torch). The
layout follows BasicSR's ``basicvsr_arch.py`` / ``spynet_arch.py``: a SpyNet flow pyramid
(six basic modules, ImageNet-normalised input, sizes rounded up to multiples of 32), a
backward and a forward propagation branch (conv + LeakyReLU + 30 residual blocks each),
then fusion and two ×2 pixel-shuffle stages on top of a bilinear ×4 base.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


def flow_warp(x: torch.Tensor, flow: torch.Tensor, padding_mode: str = "zeros") -> torch.Tensor:
    """Backward-warp NCHW ``x`` by an N×H×W×2 pixel flow (bilinear, ``align_corners=True`` as BasicSR)."""
    _, _, h, w = x.shape
    gy, gx = torch.meshgrid(torch.arange(h, dtype=x.dtype, device=x.device),
                            torch.arange(w, dtype=x.dtype, device=x.device), indexing="ij")
    vx = gx + flow[..., 0]
    vy = gy + flow[..., 1]
    grid = torch.stack((2.0 * vx / max(w - 1, 1) - 1.0, 2.0 * vy / max(h - 1, 1) - 1.0), dim=3)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode=padding_mode, align_corners=True)


class _SpyBasicModule(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        chans = [8, 32, 64, 32, 16, 2]
        layers: list[nn.Module] = []
        for i in range(5):
            layers.append(nn.Conv2d(chans[i], chans[i + 1], 7, 1, 3))
            if i < 4:
                layers.append(nn.ReLU(inplace=False))
        self.basic_module = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.basic_module(x)


class SpyNet(nn.Module):
    """SpyNet (Ranjan & Black 2017) as BasicSR ships it; ``forward(ref, supp)`` gives flow ref → supp."""

    def __init__(self) -> None:
        super().__init__()
        self.basic_module = nn.ModuleList([_SpyBasicModule() for _ in range(6)])
        # The flow network was trained on ImageNet-normalised RGB.
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def _process(self, ref: torch.Tensor, supp: torch.Tensor) -> torch.Tensor:
        refs = [(ref - self.mean) / self.std]
        supps = [(supp - self.mean) / self.std]
        for _ in range(5):
            refs.insert(0, F.avg_pool2d(refs[0], kernel_size=2, stride=2, count_include_pad=False))
            supps.insert(0, F.avg_pool2d(supps[0], kernel_size=2, stride=2, count_include_pad=False))
        flow = refs[0].new_zeros(refs[0].size(0), 2, refs[0].size(2) // 2, refs[0].size(3) // 2)
        for level in range(len(refs)):
            up = F.interpolate(flow, scale_factor=2, mode="bilinear", align_corners=True) * 2.0
            if up.size(2) != refs[level].size(2):
                up = F.pad(up, [0, 0, 0, 1], mode="replicate")
            if up.size(3) != refs[level].size(3):
                up = F.pad(up, [0, 1, 0, 0], mode="replicate")
            warped = flow_warp(supps[level], up.permute(0, 2, 3, 1), padding_mode="border")
            flow = self.basic_module[level](torch.cat([refs[level], warped, up], 1)) + up
        return flow

    def forward(self, ref: torch.Tensor, supp: torch.Tensor) -> torch.Tensor:
        h, w = ref.shape[2:]
        # BasicSR rounds up to a multiple of 32; its 6-level pyramid also needs at least 64 px, which
        # BasicSR leaves to the caller (it crashes below that), so small frames are resized up to 64.
        hf, wf = max(64, math.ceil(h / 32) * 32), max(64, math.ceil(w / 32) * 32)
        ref = F.interpolate(ref, size=(hf, wf), mode="bilinear", align_corners=False)
        supp = F.interpolate(supp, size=(hf, wf), mode="bilinear", align_corners=False)
        flow = F.interpolate(self._process(ref, supp), size=(h, w), mode="bilinear", align_corners=False)
        return torch.stack((flow[:, 0] * (w / wf), flow[:, 1] * (h / hf)), dim=1)


class _ResidualBlockNoBN(nn.Module):
    def __init__(self, num_feat: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.relu(self.conv1(x)))


class _ConvResidualBlocks(nn.Module):
    def __init__(self, num_in: int, num_out: int, num_block: int) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(num_in, num_out, 3, 1, 1), nn.LeakyReLU(0.1, inplace=True),
            nn.Sequential(*[_ResidualBlockNoBN(num_out) for _ in range(num_block)]),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)


class BasicVSRNet(nn.Module):
    """Bidirectional recurrent ×4 video SR; ``forward`` takes N×T×3×H×W in [0, 1], returns N×T×3×4H×4W."""

    def __init__(self, num_feat: int = 64, num_block: int = 30) -> None:
        super().__init__()
        self.num_feat = num_feat
        self.spynet = SpyNet()
        self.backward_trunk = _ConvResidualBlocks(num_feat + 3, num_feat, num_block)
        self.forward_trunk = _ConvResidualBlocks(num_feat + 3, num_feat, num_block)
        self.fusion = nn.Conv2d(num_feat * 2, num_feat, 1, 1, 0)
        self.upconv1 = nn.Conv2d(num_feat, num_feat * 4, 3, 1, 1)
        self.upconv2 = nn.Conv2d(num_feat, 64 * 4, 3, 1, 1)
        self.conv_hr = nn.Conv2d(64, 64, 3, 1, 1)
        self.conv_last = nn.Conv2d(64, 3, 3, 1, 1)
        self.pixel_shuffle = nn.PixelShuffle(2)
        self.lrelu = nn.LeakyReLU(0.1, inplace=True)

    def get_flow(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, n, c, h, w = x.shape
        x1 = x[:, :-1].reshape(-1, c, h, w)
        x2 = x[:, 1:].reshape(-1, c, h, w)
        flows_backward = self.spynet(x1, x2).view(b, n - 1, 2, h, w)  # frame i → i+1
        flows_forward = self.spynet(x2, x1).view(b, n - 1, 2, h, w)  # frame i+1 → i
        return flows_forward, flows_backward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _, h, w = x.shape
        flows_forward, flows_backward = self.get_flow(x)
        # Backward pass: carry features from the last frame towards the first.
        feats_back: list[torch.Tensor] = [x.new_zeros(0)] * n
        feat = x.new_zeros(b, self.num_feat, h, w)
        for i in range(n - 1, -1, -1):
            if i < n - 1:
                feat = flow_warp(feat, flows_backward[:, i].permute(0, 2, 3, 1))
            feat = self.backward_trunk(torch.cat([x[:, i], feat], 1))
            feats_back[i] = feat
        # Forward pass, fusing both directions and upsampling each frame.
        outs = []
        feat = torch.zeros_like(feat)
        for i in range(n):
            x_i = x[:, i]
            if i > 0:
                feat = flow_warp(feat, flows_forward[:, i - 1].permute(0, 2, 3, 1))
            feat = self.forward_trunk(torch.cat([x_i, feat], 1))
            out = self.lrelu(self.fusion(torch.cat([feats_back[i], feat], 1)))
            out = self.lrelu(self.pixel_shuffle(self.upconv1(out)))
            out = self.lrelu(self.pixel_shuffle(self.upconv2(out)))
            out = self.conv_last(self.lrelu(self.conv_hr(out)))
            outs.append(out + F.interpolate(x_i, scale_factor=4, mode="bilinear", align_corners=False))
        return torch.stack(outs, dim=1)

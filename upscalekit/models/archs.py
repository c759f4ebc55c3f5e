"""Architectures the kit runs that spandrel does not ship: waifu2x's UpConv7.

waifu2x (nagadomi, 2015) was the first widely used CNN upscaler. Its ``upconv_7`` network is
six valid (unpadded) 3×3 convolutions with LeakyReLU(0.1) — 16, 32, 64, 128, 128, 256 channels —
and one 4×4 transposed convolution with stride 2 that doubles the size: 552,483 parameters, trained
with a luminance-weighted pixel loss and no adversarial term. It is the kit's offline example of a
pretrained *pixel-loss* upscaler: it sharpens what is there and invents little, the opposite
personality of Real-ESRGAN.

Because the convolutions are unpadded, the network eats 7 input pixels on every side; the
original pads the input by 7 pixels with replicated edges first (``prepadding = 7`` in
waifu2x-ncnn-vulkan), and so does :class:`UpConv7`, so output = 2 × input exactly.

These networks are wrapped in spandrel's :class:`~spandrel.ImageModelDescriptor` so the rest of
the kit (tiling, precision, the Upscaler API) treats them like any spandrel model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["UPCONV7_CHANNELS", "load_extra", "make_upconv7"]

#: Output channels of UpConv7's six convolutions.
UPCONV7_CHANNELS = (16, 32, 64, 128, 128, 256)
_PREPAD = 7


def make_upconv7(in_channels: int = 3, out_channels: int = 3) -> torch.nn.Module:
    """An untrained waifu2x UpConv7 (×2) whose forward pads the input like the original.

    Examples
    --------
    >>> import torch
    >>> make_upconv7()(torch.rand(1, 3, 10, 12)).shape
    torch.Size([1, 3, 20, 24])
    """
    import torch.nn.functional as F
    from torch import nn

    class UpConv7(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers: list[nn.Module] = []
            c = in_channels
            for out in UPCONV7_CHANNELS:
                layers += [nn.Conv2d(c, out, 3), nn.LeakyReLU(0.1)]
                c = out
            self.body = nn.Sequential(*layers)
            # (n − 1)·2 + 4 − 2·3 = 2n − 4 per side pair; with the 12 pixels the convolutions
            # eat and the 14 of prepadding the output is exactly twice the input.
            self.upconv = nn.ConvTranspose2d(c, out_channels, 4, stride=2, padding=3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = F.pad(x, (_PREPAD,) * 4, mode="replicate")
            return self.upconv(self.body(x))

    return UpConv7()


def _is_upconv7(sd: dict[str, Any]) -> bool:
    keys = {f"body.{2 * i}.weight" for i in range(len(UPCONV7_CHANNELS))} | {"upconv.weight"}
    return keys <= sd.keys() and len(sd) == 2 * len(keys)


def load_extra(sd: dict[str, Any]) -> Any | None:
    """A spandrel ``ImageModelDescriptor`` for a state dict of one of the kit's own architectures.

    Returns ``None`` when the state dict is not one of them (then spandrel is asked).

    Examples
    --------
    >>> desc = load_extra(make_upconv7().state_dict())  # doctest: +SKIP
    >>> desc.architecture.id, desc.scale  # doctest: +SKIP
    ('waifu2x-UpConv7', 2)

    (Skipped as a doctest: importing spandrel takes ~25 s on 2 cores; tests/test_models.py runs it.)
    """
    if not _is_upconv7(sd):
        return None
    import spandrel
    from spandrel import Architecture, ImageModelDescriptor

    class UpConv7Arch(Architecture[Any]):
        def __init__(self) -> None:
            super().__init__(id="waifu2x-UpConv7", name="waifu2x UpConv7", detect=_is_upconv7)

        def load(self, state_dict: dict[str, Any]) -> ImageModelDescriptor[Any]:
            in_c = int(state_dict["body.0.weight"].shape[1])
            out_c = int(state_dict["upconv.weight"].shape[1])
            model = make_upconv7(in_c, out_c)
            return ImageModelDescriptor(
                model, state_dict, architecture=self, purpose="SR", tags=["waifu2x"],
                supports_half=True, supports_bfloat16=True, scale=2,
                input_channels=in_c, output_channels=out_c,
                size_requirements=spandrel.SizeRequirements(minimum=1),
            )

    return UpConv7Arch().load(sd)

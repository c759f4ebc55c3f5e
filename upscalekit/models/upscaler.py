"""One API for every upscaler: interpolation baselines and pretrained networks alike.

:func:`load_model` returns an :class:`Upscaler`; ``upscaler.upscale(image)`` takes a public
image (HWC float32 RGB in [0, 1], gray or RGBA) and returns one of the same kind:

* **grayscale** is replicated to RGB for the network and converted back (BT.601 luma, as
  Real-ESRGAN's own script does);
* **alpha** is upscaled with bicubic, not with the network: an alpha channel is a mask, and
  a GAN would invent texture in it;
* **16-bit** sources stay precise: everything is float32, nothing is quantised to 8 bits;
* ``outscale`` may be any factor: the model's own scale first, then a Lanczos (enlarging) or
  area (shrinking) resize;
* ``strength=α`` blends in residual space, ``bicubic + α·(model − bicubic)``: 0 gives
  bicubic, 1 the model, above 1 exaggerates what the model added (its "hallucination budget").
"""

from __future__ import annotations

import numbers
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from upscalekit._checks import check_finite_output, check_image, unknown_name
from upscalekit.assets import Provenance
from upscalekit.models.strength import blend_residual
from upscalekit.pixels import as_rgb, luma
from upscalekit.resize import METHODS, resize

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from upscalekit.models.registry import ModelInfo

__all__ = ["MAX_OUTPUT_PIXELS", "PRECISIONS", "InterpolationUpscaler", "NetworkUpscaler", "Upscaler",
           "check_upscale_args", "upscale_by"]

#: Accepted ``precision`` values.
PRECISIONS = ("auto", "fp32", "fp16", "bf16")


#: Largest output (in pixels) ``upscale`` will allocate: 16k × 16k, the same limit as reading.
MAX_OUTPUT_PIXELS = 16384 * 16384


def _is_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def check_upscale_args(shape: tuple[int, ...], scale: int, *, outscale: object, tile: object,
                       tile_overlap: object, strength: object) -> None:
    """Validate :meth:`Upscaler.upscale`'s options before any work or allocation.

    Raises
    ------
    TypeError, ValueError
        Naming the argument, the value seen and what to pass instead; a too-large output is
        refused with its size in pixels and GiB before any memory is allocated.

    Examples
    --------
    >>> check_upscale_args((8, 8, 3), 4, outscale=None, tile="auto", tile_overlap=None, strength=1.0)
    >>> check_upscale_args((8, 8, 3), 4, outscale=None, tile="abc", tile_overlap=None, strength=1.0)
    Traceback (most recent call last):
    ...
    TypeError: tile must be 'auto', None (one pass) or a tile side in input pixels (an int ≥ 8), got 'abc'
    """
    if not (_is_number(strength) and np.isfinite(float(strength))):  # type: ignore[arg-type]
        raise TypeError(f"strength must be a finite number (0 = bicubic, 1 = the model, >1 exaggerates), "
                        f"got {strength!r}")
    if outscale is not None and not (_is_number(outscale) and np.isfinite(float(outscale))  # type: ignore[arg-type]
                                     and float(outscale) > 0):  # type: ignore[arg-type]
        raise ValueError(f"outscale must be a positive finite number (the final factor, e.g. 2 or 3.5) or "
                         f"None for the model's ×{scale}, got {outscale!r}")
    tile_int = isinstance(tile, int | np.integer) and not isinstance(tile, bool)
    if not (tile == "auto" or tile is None or tile_int):
        raise TypeError(f"tile must be 'auto', None (one pass) or a tile side in input pixels (an int ≥ 8), "
                        f"got {tile!r}")
    if isinstance(tile, int | np.integer) and tile < 8:
        raise ValueError(f"tile={tile} is too small; use at least 8 (or None for no tiling)")
    if tile_overlap is not None and not (isinstance(tile_overlap, int | np.integer)
                                         and not isinstance(tile_overlap, bool) and tile_overlap >= 0):
        raise TypeError(f"tile_overlap must be None (the model's default) or an int ≥ 0 in input pixels, "
                        f"got {tile_overlap!r}")
    h, w = shape[:2]
    planes = 1 if len(shape) == 2 else shape[2]
    for factor in {scale, float(outscale) if outscale is not None else scale}:  # type: ignore[arg-type]
        oh, ow = max(1, round(h * factor)), max(1, round(w * factor))
        if oh * ow > MAX_OUTPUT_PIXELS:
            gib = oh * ow * max(planes, 3) * 4 / 2**30
            raise ValueError(
                f"the output would be {ow:,} × {oh:,} = {oh * ow:,} pixels ({gib:,.1f} GiB as float32) for a "
                f"{w} × {h} input at ×{factor:g}, over the limit of {MAX_OUTPUT_PIXELS:,}; use a smaller "
                "outscale or crop the input (or raise upscalekit.models.upscaler.MAX_OUTPUT_PIXELS)"
            )


class Upscaler(ABC):
    """An image upscaler: interpolation or a pretrained network, behind one method.

    Create with :func:`load_model`. Attributes are read-only.

    Attributes
    ----------
    name : str
        Registry name, or the file name for a model loaded from a path.
    scale : int
        The model's own factor (output side / input side).
    provenance : Provenance
        Which source the weights came from (``source="builtin"`` for interpolation).
    device : str
        ``"cpu"``, ``"cuda"``…
    precision : str
        ``"fp32"``, ``"fp16"`` or ``"bf16"``.
    kind : str
        ``"interpolation"``, ``"sr"`` or ``"face"``.
    """

    __slots__ = ("_name", "_scale", "_provenance", "_device", "_precision", "_kind", "_info")

    def __init__(self, name: str, scale: int, provenance: Provenance, *, device: str = "cpu",
                 precision: str = "fp32", kind: str = "sr", info: ModelInfo | None = None) -> None:
        self._name, self._scale, self._provenance = name, int(scale), provenance
        self._device, self._precision, self._kind, self._info = device, precision, kind, info

    name = property(lambda self: self._name)
    scale = property(lambda self: self._scale)
    provenance = property(lambda self: self._provenance)
    device = property(lambda self: self._device)
    precision = property(lambda self: self._precision)
    kind = property(lambda self: self._kind)
    info = property(lambda self: self._info, doc="The registry's ModelInfo (None for a file path).")

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(name={self.name!r}, scale={self.scale}, device={self.device!r}, "
                f"precision={self.precision!r}, source={self.provenance.source!r})")

    # -- subclasses implement this: RGB (H×W×3) in, RGB at ×scale out ---------------------------
    @property
    def default_overlap(self) -> int:
        """Tile overlap used when ``tile_overlap=None``."""
        return 16

    @abstractmethod
    def _upscale_rgb(self, rgb: np.ndarray, *, tile: int | str | None, tile_overlap: int,
                     progress: bool | None) -> np.ndarray:
        """The ×:attr:`scale` result of an H×W×3 RGB array, unclipped; each kind of upscaler defines it."""

    def _upscale_alpha(self, alpha: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        return resize(alpha, size=size, method="bicubic")

    def upscale(
        self,
        image: np.ndarray,
        *,
        outscale: float | None = None,
        tile: int | str | None = "auto",
        tile_overlap: int | None = None,
        strength: float = 1.0,
        progress: bool | None = None,
    ) -> np.ndarray:
        """Upscale a public image.

        Parameters
        ----------
        image
            H×W×3 float RGB in [0, 1]; also H×W or H×W×1 gray, H×W×4 RGBA.
        outscale
            Final factor (any positive number); default the model's :attr:`scale`.
        tile
            ``"auto"`` (from free memory), a tile side in input pixels, or ``None`` (one pass).
        tile_overlap
            Context and half-blend width between tiles, input pixels; default
            :attr:`default_overlap` (measured so tiled ≈ untiled within 1e-3).
        strength
            Residual blend from bicubic (0) to the model (1); above 1 exaggerates.
        progress
            tqdm bar over tiles; ``None``: only for large images.

        Returns
        -------
        numpy.ndarray
            float32 image of the same kind (gray/RGB/RGBA), ``round(side × outscale)`` pixels.

        Examples
        --------
        >>> import numpy as np
        >>> from upscalekit.models import load_model
        >>> up = load_model("bicubic")
        >>> up.upscale(np.zeros((8, 8, 3), np.float32)).shape
        (32, 32, 3)
        """
        img = check_image(image)
        check_upscale_args(img.shape, self.scale, outscale=outscale, tile=tile, tile_overlap=tile_overlap,
                           strength=strength)
        h, w = img.shape[:2]
        gray_shape = img.ndim == 2 or img.shape[2] == 1
        planes = img.reshape(h, w, -1)
        rgb = as_rgb(planes)
        alpha = planes[..., 3] if planes.shape[2] == 4 else None

        if tile_overlap is None:
            tile_overlap = self.default_overlap
        out = self._upscale_rgb(np.ascontiguousarray(rgb), tile=tile, tile_overlap=int(tile_overlap),
                                progress=progress)
        size = out.shape[:2]
        if strength != 1.0:
            base = resize(rgb, size=size, method="bicubic", clip=False)
            out = blend_residual(base, out, strength, clip=False)
        if gray_shape:
            out = luma(out)[..., None]
        if alpha is not None:
            out = np.concatenate([out, self._upscale_alpha(alpha, size)[..., None]], axis=2)
        check_finite_output(out, self.name)  # before the clip: np.clip keeps NaN and hides inf
        out = np.clip(out, 0.0, 1.0, out=out).astype(np.float32, copy=False)
        if outscale is not None and abs(outscale - self.scale) > 1e-9:
            target = (max(1, round(h * outscale)), max(1, round(w * outscale)))
            out = resize(out, size=target, method="lanczos" if outscale > self.scale else "area")
        if img.ndim == 2:
            out = out[..., 0]
        return out

    __call__ = upscale


class InterpolationUpscaler(Upscaler):
    """Classic interpolation (no learning) as an :class:`Upscaler`; the scale is configurable.

    Examples
    --------
    >>> import numpy as np
    >>> InterpolationUpscaler("lanczos", scale=2).upscale(np.zeros((4, 4, 3), np.float32)).shape
    (8, 8, 3)
    """

    __slots__ = ()

    def __init__(self, method: str, *, scale: int = 4, info: ModelInfo | None = None) -> None:
        if method not in METHODS:
            raise unknown_name("interpolation method", method, METHODS)
        if int(scale) != scale or scale < 1:
            raise ValueError(
                f"scale must be a positive integer, got {scale!r}; use outscale= for other factors"
            )
        prov = Provenance("builtin", "", f"upscalekit.resize.resize(method={method!r})")
        super().__init__(method, int(scale), prov, device="cpu", precision="fp32", kind="interpolation",
                         info=info)

    def _upscale_rgb(self, rgb: np.ndarray, **_: Any) -> np.ndarray:
        h, w = rgb.shape[:2]
        return resize(rgb, size=(h * self.scale, w * self.scale), method=self.name, clip=False)

    def _upscale_alpha(self, alpha: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        return resize(alpha, size=size, method=self.name)  # same kernel for every channel


class NetworkUpscaler(Upscaler):
    """A pretrained network (a spandrel model descriptor) as an :class:`Upscaler`.

    Attributes
    ----------
    descriptor
        The spandrel ``ImageModelDescriptor`` (its ``.model`` is the torch module).
    """

    __slots__ = ("_descriptor", "_net_scale")

    def __init__(self, name: str, descriptor: Any, provenance: Provenance, *, device: str, precision: str,
                 kind: str = "sr", info: ModelInfo | None = None) -> None:
        net_scale = int(descriptor.scale)
        scale = info.scale if info is not None else net_scale
        super().__init__(name, scale, provenance, device=device, precision=precision, kind=kind, info=info)
        self._descriptor = descriptor
        self._net_scale = net_scale

    descriptor = property(lambda self: self._descriptor)

    @property
    def default_overlap(self) -> int:
        """Tile overlap used when ``tile_overlap=None``, from the measured reach of each architecture.

        A tile edge changes the output up to dozens of pixels inwards (measured on a photo):
        Real-ESRGAN x4plus (RRDBNet, 351 convolutions) still differs by 6e-3 at 32 px and by
        2.5e-4 at 64 px from the edge; SRVGGNetCompact (18 convolutions) by under 1e-5 at 32 px.
        Blended pixels draw their weight from tiles whose edges are about ``2 × overlap`` away,
        hence 32 for RRDBNet and 16 otherwise: tiled vs untiled then differs by at most 4.1e-4
        (x4plus-anime, 192 px photo, 112 px tiles) and 3e-7 (animevideov3, 80 px, 56 px tiles).
        waifu2x's UpConv7 sees only 7 input pixels each way, so 8 makes tiling exact (1e-6).
        Measured on a 96–128 px crop of skimage's coffee (64 px tiles; the tests check another
        photo): SPAN ×4 differs by 1.7e-3 / 9.2e-5 / 1.0e-6 at overlap 4 / 8 / 16; Real-CUGAN ×2
        (and waifu2x CUNet, the same network), with its SE means gathered over all tiles
        (:mod:`upscalekit.models.global_pool`), by 3.3e-3 / 2.9e-4 / 3.6e-7 — hence 16 for both.
        """
        arch = self._descriptor.architecture.id
        return {"ESRGAN": 32, "waifu2x-UpConv7": 8, "RealCUGAN": 16, "SPAN": 16}.get(arch, 16)

    def _dtype(self) -> torch.dtype:
        import torch

        return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[self.precision]

    def _bytes_per_pixel(self) -> float:
        # Peak activations per input pixel (no_grad): a few HR feature maps plus the LR concat stack.
        import torch

        convs = [m for m in self._descriptor.model.modules() if isinstance(m, torch.nn.Conv2d)]
        feat = max((c.out_channels for c in convs), default=64)
        lr_max = max((c.in_channels for c in convs), default=64)
        item = 2 if self.precision != "fp32" else 4
        s = self._net_scale
        return item * (3 * feat * s * s + 6 * lr_max) + 4 * 3 * s * s * 2

    def _raw_forward(self, x: torch.Tensor) -> torch.Tensor:
        # The bare network, unclamped (spandrel's descriptor call clamps to [0, 1]); clamping happens
        # once at the end of upscale(), after blending, as the ncnn originals do.
        import torch.nn.functional as F

        req = self._descriptor.size_requirements
        _, _, h, w = x.shape
        m = max(1, req.multiple_of)
        th, tw = max(-(-h // m) * m, req.minimum), max(-(-w // m) * m, req.minimum)
        if req.square:
            th = tw = max(th, tw)
        if (th, tw) != (h, w):
            mode = "reflect" if th - h < h and tw - w < w else "replicate"
            x = F.pad(x, (0, tw - w, 0, th - h), mode=mode)
        y = self._descriptor.model(x)
        s = self._net_scale
        return y[..., : h * s, : w * s]

    def forward_tensor(self, x: torch.Tensor, *, tile: int | str | None = "auto",
                       tile_overlap: int | None = None, progress: bool | None = None) -> torch.Tensor:
        """Run the network on a 1×3×H×W tensor in [0, 1] (any device): float32 CPU result at ×net scale.

        The result is not clipped: networks overshoot [0, 1] a little, and :meth:`upscale` clips
        once after blending.

        Examples
        --------
        >>> up = load_model("realesr-animevideov3-x4")  # doctest: +SKIP
        >>> up.forward_tensor(torch.rand(1, 3, 16, 16)).shape  # doctest: +SKIP
        torch.Size([1, 3, 64, 64])
        """
        import torch

        from upscalekit.models.global_pool import run_tiled_global_pool
        from upscalekit.models.tiling import auto_tile

        _, _, h, w = x.shape
        dev = torch.device(self.device)
        if tile_overlap is None:
            tile_overlap = self.default_overlap
        if tile == "auto":
            tile_n = auto_tile(h, w, bytes_per_pixel=self._bytes_per_pixel(), device=dev,
                               multiple=max(8, self._descriptor.size_requirements.multiple_of),
                               minimum=4 * tile_overlap + 16)
        elif tile is None or isinstance(tile, int | np.integer):
            tile_n = None if tile is None else int(tile)
        else:
            raise ValueError(f"tile must be 'auto', an int or None, got {tile!r}")
        if tile_n is not None and tile_n < 8:
            raise ValueError(f"tile={tile_n} is too small; use at least 8 (or None for no tiling)")
        x = x.to(device=dev, dtype=self._dtype())
        fn: Callable[[torch.Tensor], torch.Tensor] = self._raw_forward
        while True:
            try:
                with torch.inference_mode():
                    # Real-CUGAN's SE blocks pool over the whole image: their means are gathered
                    # over all tiles first (upscalekit.models.global_pool); other networks tile as is.
                    return run_tiled_global_pool(fn, x, model=self._descriptor.model, scale=self._net_scale,
                                                 tile=tile_n, overlap=tile_overlap, progress=progress)
            except torch.cuda.OutOfMemoryError:
                torch.cuda.empty_cache()
                new = (tile_n or max(h, w)) // 2
                if new <= max(2 * tile_overlap, 16):
                    raise RuntimeError(
                        f"{self.name}: CUDA out of memory even with tile={tile_n}; free GPU memory, "
                        "use a smaller tile_overlap, or run on the CPU (device='cpu')"
                    ) from None
                warnings.warn(f"{self.name}: CUDA out of memory with tile={tile_n}; retrying with {new}",
                              RuntimeWarning, stacklevel=3)
                tile_n = new

    def _upscale_rgb(self, rgb: np.ndarray, *, tile: int | str | None, tile_overlap: int,
                     progress: bool | None) -> np.ndarray:
        from upscalekit.io import from_tensor, to_tensor

        y = self.forward_tensor(to_tensor(rgb), tile=tile, tile_overlap=tile_overlap, progress=progress)
        if self._net_scale != self.scale:
            # animevideov3 x2/x3: the ×4 network then bicubic (a = −0.75, no antialias), as in ncnn.
            import torch

            h, w = rgb.shape[:2]
            y = torch.nn.functional.interpolate(y, size=(h * self.scale, w * self.scale), mode="bicubic",
                                                align_corners=False)
        return np.asarray(from_tensor(y, clip=False))


def upscale_by(model: Upscaler, image: np.ndarray, factor: float, **kwargs: Any) -> np.ndarray:
    """Upscale by ``factor`` with as many passes of ``model`` as fit, then one resize.

    A ×2 network reaches ×4 the way its users run it, twice (2×+2×), rather than once and then a
    Lanczos resize; a ×4 network asked for ×2 runs once and is resized down, as ``outscale`` does.
    Passes: the largest ``n ≥ 1`` with ``scale**n ≤ factor``; the last pass resizes to
    ``round(side × factor)``.

    Parameters
    ----------
    model
        Any :class:`Upscaler`.
    image
        As for :meth:`Upscaler.upscale`.
    factor
        Overall scale factor (> 0).
    **kwargs
        Passed to every :meth:`Upscaler.upscale` call (``tile=``, ``strength=``…).

    Examples
    --------
    >>> from upscalekit.models import load_model
    >>> up = load_model("bicubic", scale=2)
    >>> upscale_by(up, np.zeros((10, 12, 3), np.float32), 4).shape  # two ×2 passes
    (40, 48, 3)
    >>> upscale_by(up, np.zeros((10, 12, 3), np.float32), 3).shape  # one pass, then ×1.5
    (30, 36, 3)
    """
    if not factor > 0:
        raise ValueError(f"factor must be a positive number, got {factor!r}")
    if "outscale" in kwargs:
        raise TypeError("upscale_by() takes the overall factor instead of outscale=")
    n = 1
    while model.scale ** (n + 1) <= factor * (1 + 1e-9):
        n += 1
    out = image
    for _ in range(n - 1):
        out = model.upscale(out, **kwargs)
    # the rest of the factor, relative to the current size, so the result is round(side × factor)
    return model.upscale(out, outscale=factor * image.shape[0] / out.shape[0], **kwargs)

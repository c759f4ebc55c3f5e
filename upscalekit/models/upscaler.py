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

Speed (see :func:`pick_precision`, :meth:`NetworkUpscaler.cost`, :meth:`NetworkUpscaler.estimate`):

* on a CPU with native bf16 (AVX512_BF16 or AMX), ``precision="auto"`` runs the network under
  ``torch.autocast(bfloat16)`` with channels-last activations (measured ×1.7 or more over fp32,
  output ≥ 45 dB PSNR from fp32); ``precision="fp32"`` forces fp32;
* :meth:`NetworkUpscaler.cost` counts FLOPs and peak activation bytes from the network's own
  layers; ``tile="auto"`` uses the bytes, the progress bar and :meth:`~NetworkUpscaler.estimate`
  the FLOPs;
* long runs show a progress bar with an ETA that advances convolution by convolution, inside
  tiles and in untiled runs alike.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math
import numbers
import platform
import sys
import time
import warnings
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
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

__all__ = ["MAX_OUTPUT_PIXELS", "PRECISIONS", "Cost", "Estimate", "InterpolationUpscaler", "NetworkUpscaler",
           "Upscaler", "check_upscale_args", "cpu_bf16_native", "pick_precision", "upscale_by"]

#: Accepted ``precision`` values.
PRECISIONS = ("auto", "fp32", "fp16", "bf16")

#: ``progress=None`` shows a bar when a run is predicted to take longer than this (seconds).
PROGRESS_AFTER_S = 2.0

_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.lru_cache(maxsize=1)
def cpu_bf16_native() -> str | None:
    """The CPU feature that computes bf16 natively (``"avx512_bf16"`` or ``"amx_bf16"``), else ``None``.

    Read from the x86 feature flags in ``/proc/cpuinfo``. A CPU without them would *emulate*
    bf16 (oneDNN converts to fp32 and back), which is slower than plain fp32, so those CPUs,
    and CPUs of other architectures where bf16 speed has not been measured, get ``None`` (fp32).

    Examples
    --------
    >>> cpu_bf16_native() in (None, "avx512_bf16", "amx_bf16")
    True
    """
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    # AMX tiles are the faster path when both exist
                    return next((fl for fl in reversed(_BF16_FLAGS) if fl in flags), None)
    except OSError:
        pass
    return None


#: spandrel architectures whose forward assigns their own weights (SPAN re-merges its 3×3 kernels from
#: the training branches on each eval pass): no meta-device counting, no CPU autocast.
_WRITES_WEIGHTS_IN_FORWARD = frozenset({"SPAN"})


def _cpu_bf16_unfit(descriptor: Any) -> str | None:
    """Why CPU bf16 autocast does not suit this network, or ``None`` when it does (measured, see below)."""
    arch = getattr(getattr(descriptor, "architecture", None), "id", "")
    if arch in _WRITES_WEIGHTS_IN_FORWARD:
        # SPAN re-merges its 3×3 kernels on every eval forward and assigns them with `.data =`, which
        # fails when autocast hands it bf16 tensors (RuntimeError in spandrel's span.py).
        return "SPAN rebuilds its kernels in each forward, which autocast breaks"
    if arch == "RealCUGAN" and getattr(getattr(descriptor, "model", None), "is_pro", False):
        # Measured: Real-CUGAN pro ×2/×3 in bf16 are 44.3 dB from fp32 on a 32² astronaut crop, below the
        # 45 dB every other offline network keeps (tests/test_upscaler.py); the non-pro ones keep 56 dB.
        return "Real-CUGAN pro loses more than 45 dB PSNR against fp32 in bf16"
    return None


def pick_precision(precision: str, device: str, descriptor: Any) -> str:
    """Resolve a ``precision`` request for a network on ``device``.

    ``"auto"``: fp16 on CUDA (bf16 when the architecture has no fp16); on a CPU, bf16 when the CPU
    computes it natively (:func:`cpu_bf16_native`) and the architecture supports it, else fp32.
    An explicit ``"bf16"`` on a CPU without native bf16, or ``"fp16"`` on any CPU, is refused.

    Examples
    --------
    >>> class Desc: supports_half = supports_bfloat16 = True
    >>> pick_precision("auto", "cuda", Desc())
    'fp16'
    >>> pick_precision("fp32", "cpu", Desc())
    'fp32'
    """
    if precision not in PRECISIONS:
        raise unknown_name("precision", precision, PRECISIONS)
    on_cuda = device.startswith("cuda")
    cpu_unfit = None if on_cuda else _cpu_bf16_unfit(descriptor)
    if precision == "auto":
        if on_cuda and descriptor.supports_half:
            return "fp16"
        if descriptor.supports_bfloat16 and (on_cuda or (cpu_bf16_native() and cpu_unfit is None)):
            return "bf16"
        return "fp32"
    if precision == "bf16" and cpu_unfit is not None:
        raise ValueError(f"precision='bf16' on the CPU does not suit this network: {cpu_unfit}; "
                         "use precision='fp32' or 'auto'")
    if precision == "fp16" and not on_cuda:
        raise ValueError(
            "precision='fp16' needs a CUDA device (fp16 on the CPU is slow or unsupported and can return "
            "black images); use precision='bf16' on a CPU with native bf16, 'fp32', or 'auto'"
        )
    if precision == "bf16" and not on_cuda and not cpu_bf16_native():
        raise ValueError(
            f"precision='bf16' on the CPU needs native bf16 (CPU flags {' or '.join(_BF16_FLAGS)}); this "
            f"{platform.machine()} CPU would emulate it, slower than fp32: use precision='fp32' or 'auto'"
        )
    ok = descriptor.supports_half if precision == "fp16" else (
        descriptor.supports_bfloat16 if precision == "bf16" else True)
    if not ok:
        raise ValueError(f"this architecture does not support {precision}; use precision='fp32' or 'auto'")
    return precision


@dataclass(frozen=True)
class Cost:
    """What one untiled pass of a network costs on an input of ``height × width`` pixels.

    Counted from the network's own layers (:meth:`NetworkUpscaler.cost`), not typed in.

    Attributes
    ----------
    height, width
        Input size in pixels (before the network's own size padding).
    flops
        Floating-point operations, 2 per multiply-add (convolutions and matrix products).
    activation_bytes
        Peak bytes of intermediate tensors alive at once (input and result included, weights not),
        in the precision the model runs in.
    precision
        The precision the count was made for.
    """

    height: int
    width: int
    flops: float
    activation_bytes: float
    precision: str

    @property
    def flops_per_pixel(self) -> float:
        """FLOPs per input pixel."""
        return self.flops / (self.height * self.width)

    @property
    def tflops(self) -> float:
        """FLOPs in units of 10¹²."""
        return self.flops / 1e12


@dataclass(frozen=True)
class Estimate:
    """A predicted run: the :class:`Cost`, the tiling chosen, and the time at a calibrated rate.

    Attributes
    ----------
    cost
        The untiled :class:`Cost`.
    tile
        Tile side chosen (``None``: one pass).
    overhead
        Pixels computed / pixels kept (1.0 untiled; more with tiles, whose context is recomputed).
    flops
        ``cost.flops × overhead``: the work actually done.
    flops_per_second
        Rate measured on this machine by :meth:`NetworkUpscaler.calibrate`.
    seconds
        Predicted wall time.
    """

    cost: Cost
    tile: int | None
    overhead: float
    flops: float
    flops_per_second: float
    seconds: float


def _interactive() -> bool:
    """A person can see a progress bar: a terminal on stderr, or a Jupyter kernel."""
    if "ipykernel" in sys.modules:
        return True
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):
        return False


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
    overlap_int = isinstance(tile_overlap, int | np.integer) and not isinstance(tile_overlap, bool)
    if tile_overlap is not None and tile_overlap != "fast" and not (overlap_int and tile_overlap >= 0):
        raise TypeError(f"tile_overlap must be None (the model's default), 'fast' (half of it) or an int ≥ 0 "
                        f"in input pixels, got {tile_overlap!r}")
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

    @property
    def fast_overlap(self) -> int:
        """Tile overlap for ``tile_overlap="fast"``: half the default, fewer recomputed pixels."""
        return max(1, self.default_overlap // 2)

    def _overlap(self, tile_overlap: int | str | None) -> int:
        if tile_overlap is None:
            return self.default_overlap
        if tile_overlap == "fast":
            return self.fast_overlap
        if isinstance(tile_overlap, str):
            raise ValueError(f"tile_overlap must be an int, None or 'fast', got {tile_overlap!r}")
        return int(tile_overlap)

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
        tile_overlap: int | str | None = None,
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
            :attr:`default_overlap` (measured so tiled ≈ untiled within 1e-3); ``"fast"``:
            :attr:`fast_overlap`, less recomputed border for a small measured difference at the
            seams (``benchmarks/bench_models.py`` prints it).
        strength
            Residual blend from bicubic (0) to the model (1); above 1 exaggerates.
        progress
            ``True``: a tqdm bar with ETA (in GFLOP, advancing convolution by convolution, inside
            tiles too); ``False``: none; ``None``: a bar when someone can see it (a terminal or a
            notebook) and the run is predicted to take over :data:`PROGRESS_AFTER_S` seconds.

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

        tile_overlap = self._overlap(tile_overlap)
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


class _Counter:
    """A torch dispatch mode that counts FLOPs and the peak bytes of live tensors as a network runs.

    FLOPs come from ``torch.utils.flop_counter``'s per-operator formulas (the ones
    ``FlopCounterMode`` uses, without its per-module bookkeeping). Each new (non-view) output
    adds its size to the live bytes; a weak-reference finaliser subtracts it when the tensor
    dies. Works on the ``meta`` device, so counting needs no memory and no arithmetic.
    """

    def __new__(cls) -> Any:
        import torch
        from torch.utils._python_dispatch import TorchDispatchMode
        from torch.utils._pytree import tree_leaves
        from torch.utils.flop_counter import flop_registry

        class Mode(TorchDispatchMode):
            def __init__(self) -> None:
                super().__init__()
                self.live = self.peak = 0
                self.flops = 0

            def _free(self, n: int) -> None:
                self.live -= n

            def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
                kwargs = kwargs or {}
                packet = func._overloadpacket
                if packet not in flop_registry:
                    # composite operators (aten.conv2d…) reach here whole: let them decompose into
                    # the counted ones (aten.convolution…), as FlopCounterMode does
                    with self:
                        r = func.decompose(*args, **kwargs)
                    if r is not NotImplemented:
                        return r
                out = func(*args, **kwargs)
                if packet in flop_registry:
                    self.flops += flop_registry[packet](*args, **kwargs, out_val=out)
                seen = {id(a) for a in args if isinstance(a, torch.Tensor)}
                for t in tree_leaves(out):
                    if isinstance(t, torch.Tensor) and id(t) not in seen and not t._is_view():
                        n = t.numel() * t.element_size()
                        self.live += n
                        self.peak = max(self.peak, self.live)
                        weakref.finalize(t, self._free, n)
                return out

        return Mode()


#: (architecture, precision, side, weight shapes) → (FLOPs, peak bytes): counting is the same for every load.
_COUNTS: dict[Any, tuple[float, float]] = {}


def _conv_flops(module: Any, out: Any) -> float:
    """FLOPs of one Conv2d call from its output (2 per multiply-add, as FlopCounterMode counts)."""
    kh, kw = module.kernel_size
    return 2.0 * out.numel() * (module.in_channels // module.groups) * kh * kw


class NetworkUpscaler(Upscaler):
    """A pretrained network (a spandrel model descriptor) as an :class:`Upscaler`.

    Attributes
    ----------
    descriptor
        The spandrel ``ImageModelDescriptor`` (its ``.model`` is the torch module; on a CPU its
        weights stay fp32 in every precision: bf16 runs under autocast).
    compute
        How the network runs, e.g. ``"bf16 autocast, channels-last (CPU avx512_bf16)"``.
    """

    __slots__ = ("_descriptor", "_net_scale", "_rate")

    def __init__(self, name: str, descriptor: Any, provenance: Provenance, *, device: str, precision: str,
                 kind: str = "sr", info: ModelInfo | None = None) -> None:
        net_scale = int(descriptor.scale)
        scale = info.scale if info is not None else net_scale
        super().__init__(name, scale, provenance, device=device, precision=precision, kind=kind, info=info)
        self._descriptor = descriptor
        self._net_scale = net_scale
        self._rate: float | None = None

    descriptor = property(lambda self: self._descriptor)

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, compute={self.compute!r})"

    @property
    def compute(self) -> str:
        """How the network runs: precision, mechanism and memory layout."""
        if self._on_cpu():
            if self.precision == "bf16":
                return f"bf16 autocast, fp32 weights, channels-last (CPU {cpu_bf16_native() or 'emulated'})"
            return "fp32, channels-last (CPU)"
        return f"{self.precision} weights ({self.device})"

    def _on_cpu(self) -> bool:
        return self.device.split(":")[0] == "cpu"

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

    @property
    def fast_overlap(self) -> int:
        """Overlap for ``tile_overlap="fast"``: half the default (UpConv7 stays at its exact 8)."""
        if self._descriptor.architecture.id == "waifu2x-UpConv7":
            return 8
        return self.default_overlap // 2

    def _dtype(self) -> torch.dtype:
        import torch

        if self._on_cpu():
            return torch.float32  # bf16 on the CPU is autocast over fp32 weights
        return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[self.precision]

    def _autocast(self) -> Any:
        import torch

        if self._on_cpu() and self.precision == "bf16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # -- cost model -------------------------------------------------------------------------------
    def _padded(self, h: int, w: int) -> tuple[int, int]:
        req = self._descriptor.size_requirements
        m = max(1, req.multiple_of)
        th, tw = max(-(-h // m) * m, req.minimum), max(-(-w // m) * m, req.minimum)
        if req.square:
            th = tw = max(th, tw)
        return th, tw

    def _count(self, side: int) -> tuple[float, float]:
        """(FLOPs, peak activation bytes) of one square ``side`` input, counted on the meta device."""
        import torch

        model = self._descriptor.model
        act = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[self.precision]
        tensors = dict(model.named_parameters())
        tensors.update(model.named_buffers())
        key = (type(model).__name__, self.precision, side,
               tuple((k, tuple(v.shape)) for k, v in tensors.items()))
        if key in _COUNTS:
            return _COUNTS[key]
        # meta tensors carry shapes only: no memory and no arithmetic, and the weights are not copied.
        # The pass runs on a copy whose parameters and buffers ARE meta tensors (deepcopy's memo maps
        # each real one to its stand-in), so what a network stores into itself during forward (SPAN
        # re-merges its kernels with `.data =`, SwinIR caches attention masks) stays in the copy.
        memo: dict[int, Any] = {}
        for v in model.parameters():
            memo[id(v)] = torch.nn.Parameter(
                torch.empty(v.shape, device="meta", dtype=act if v.is_floating_point() else v.dtype),
                requires_grad=False)
        for v in model.buffers():
            memo[id(v)] = torch.empty(v.shape, device="meta", dtype=act if v.is_floating_point() else v.dtype)
        ghost = copy.deepcopy(model, memo)
        x = torch.empty(1, 3, side, side, device="meta", dtype=act)
        count = _Counter()
        count.live = count.peak = x.numel() * x.element_size()
        with torch.no_grad(), count:  # not inference_mode: SPAN assigns what it computes to .data
            y = ghost(x)
            del y
        _COUNTS[key] = (float(count.flops), float(count.peak))
        return _COUNTS[key]

    def cost(self, height: int, width: int) -> Cost:
        """FLOPs and peak activation bytes of one untiled pass on a ``height × width`` input.

        Counted from the network's layers with ``torch.utils.flop_counter``'s operator formulas and
        a live-tensor tracker on two or three small square inputs (meta device: no memory; a few seconds
        for RRDBNet, once per process), then fitted exactly
        for ``a·h·w + b·(h + w) + c`` (convolutions cost per output pixel; unpadded ones, like
        waifu2x's, lose a border), so any size costs nothing to ask about.

        Examples
        --------
        >>> up = load_model("realesrgan-x4plus", precision="fp32")  # doctest: +SKIP
        >>> round(up.cost(540, 960).tflops, 1)  # doctest: +SKIP
        18.6
        """
        if not (int(height) >= 1 and int(width) >= 1):
            raise ValueError(f"height and width must be positive, got {height}×{width}")
        h, w = self._padded(int(height), int(width))
        m = max(8, self._descriptor.size_requirements.multiple_of, self._descriptor.size_requirements.minimum)
        sides = [m * 2, m * 4]
        pts = [self._count(s) for s in sides]
        if all(abs(b - 4 * a) <= 1e-9 * b for a, b in zip(*pts, strict=True)):
            # both exactly ∝ area (same-padded convolutions): a·h·w, no need for a third count
            return Cost(int(height), int(width), pts[1][0] * h * w / sides[1] ** 2,
                        pts[1][1] * h * w / sides[1] ** 2, self.precision)
        sides.append(m * 3)
        pts.append(self._count(m * 3))

        def fit(values: list[float]) -> float:
            # square sizes s: v = a·s² + 2b·s + c; solve the 3×3 system, evaluate at (h, w)
            a_, b_, c_ = np.linalg.solve(np.array([[s * s, 2 * s, 1] for s in sides], float), values)
            return float(a_ * h * w + b_ * (h + w) + c_)

        return Cost(int(height), int(width), max(0.0, fit([p[0] for p in pts])),
                    max(0.0, fit([p[1] for p in pts])), self.precision)

    def _generous_bytes_per_pixel(self) -> float:
        # A generous bound for the screen in _tile_for: 4 float32 maps of the widest layer's output
        # at the output resolution, per input pixel. Counted peaks are half of it or less: x4plus
        # 8.2 kB/px (bound 16 kB), animevideov3 0.5 kB/px, waifu2x 2 kB/px (bounds 16 kB).
        import torch

        convs = [m for m in self._descriptor.model.modules() if isinstance(m, torch.nn.Conv2d)]
        feat = max((c.out_channels for c in convs), default=64)
        return 4.0 * 4 * feat * self._net_scale ** 2

    def _tile_for(self, h: int, w: int, tile: int | str | None, tile_overlap: int) -> int | None:
        import torch

        from upscalekit.models.tiling import auto_tile, free_memory

        if tile == "auto":
            dev = torch.device(self.device)
            if h * w * self._generous_bytes_per_pixel() <= free_memory(dev) * 0.25:
                return None  # fits even by a generous bound: no need to count (seconds for RRDBNet)
            c = self.cost(h, w)
            return auto_tile(h, w, bytes_per_pixel=c.activation_bytes / (h * w), device=dev,
                             multiple=max(8, self._descriptor.size_requirements.multiple_of),
                             minimum=4 * tile_overlap + 16)
        if tile is None or isinstance(tile, int | np.integer):
            tile_n = None if tile is None else int(tile)
        else:
            raise ValueError(f"tile must be 'auto', an int or None, got {tile!r}")
        if tile_n is not None and tile_n < 8:
            raise ValueError(f"tile={tile_n} is too small; use at least 8 (or None for no tiling)")
        return tile_n

    def calibrate(self, *, refresh: bool = False) -> float:
        """FLOP/s this model reaches on this machine, from one short timed run (cached).

        A warm-up pass, then one timed pass on an input sized for about 10 GFLOP (16 to 256 px).

        Examples
        --------
        >>> up = load_model("realesr-animevideov3-x4")  # doctest: +SKIP
        >>> up.calibrate() > 1e9  # doctest: +SKIP
        True
        """
        if self._rate is not None and not refresh:
            return self._rate
        import torch

        per_px = self.cost(64, 64).flops_per_pixel
        side = max(16, int(math.sqrt(10e9 / max(per_px, 1.0))) // 8 * 8)
        side = min(side, 256)
        x = torch.rand(1, 3, side, side, generator=torch.Generator().manual_seed(0))
        x = x.to(self.device)
        self.forward_tensor(x, tile=None, progress=False)  # warm-up: oneDNN builds its kernels per shape
        if self.device.startswith("cuda"):
            torch.cuda.synchronize()
        t = time.perf_counter()
        self.forward_tensor(x, tile=None, progress=False)
        if self.device.startswith("cuda"):
            torch.cuda.synchronize()
        self._rate = self.cost(side, side).flops / max(time.perf_counter() - t, 1e-6)
        return self._rate

    def estimate(self, height: int, width: int, *, tile: int | str | None = "auto",
                 tile_overlap: int | str | None = None) -> Estimate:
        """Predict a run here: :meth:`cost`, tiling overhead, seconds at the :meth:`calibrate` rate.

        Examples
        --------
        >>> up = load_model("realesr-animevideov3-x4")  # doctest: +SKIP
        >>> up.estimate(512, 512).seconds  # doctest: +SKIP
        1.9
        """
        from upscalekit.models.tiling import overhead

        ov = self._overlap(tile_overlap)
        c = self.cost(height, width)
        tile_n = self._tile_for(int(height), int(width), tile, ov)
        factor = overhead(int(height), int(width), tile_n, ov)
        rate = self.calibrate()
        return Estimate(c, tile_n, factor, c.flops * factor, rate, c.flops * factor / rate)

    # -- running ------------------------------------------------------------------------------------
    def _raw_forward(self, x: torch.Tensor) -> torch.Tensor:
        # The bare network, unclamped (spandrel's descriptor call clamps to [0, 1]); clamping happens
        # once at the end of upscale(), after blending, as the ncnn originals do.
        import torch
        import torch.nn.functional as F

        _, _, h, w = x.shape
        th, tw = self._padded(h, w)
        if (th, tw) != (h, w):
            mode = "reflect" if th - h < h and tw - w < w else "replicate"
            x = F.pad(x, (0, tw - w, 0, th - h), mode=mode)
        if self._on_cpu():
            # channels-last lets oneDNN pick its fast convolution kernels (measured faster in fp32
            # and bf16 alike); the result is the same arithmetic
            x = x.contiguous(memory_format=torch.channels_last)
        with self._autocast():
            y = self._descriptor.model(x)
        s = self._net_scale
        return y[..., : h * s, : w * s].float()

    def forward_tensor(self, x: torch.Tensor, *, tile: int | str | None = "auto",
                       tile_overlap: int | str | None = None, progress: bool | None = None) -> torch.Tensor:
        """Run the network on a 1×3×H×W tensor in [0, 1] (any device): float32 CPU result at ×net scale.

        The result is not clipped: networks overshoot [0, 1] a little, and :meth:`upscale` clips
        once after blending. ``progress`` as for :meth:`Upscaler.upscale`; a ``KeyboardInterrupt``
        stops between two convolutions and leaves nothing behind.

        Examples
        --------
        >>> up = load_model("realesr-animevideov3-x4")  # doctest: +SKIP
        >>> up.forward_tensor(torch.rand(1, 3, 16, 16)).shape  # doctest: +SKIP
        torch.Size([1, 3, 64, 64])
        """
        import torch

        from upscalekit.models.global_pool import run_tiled_global_pool

        _, _, h, w = x.shape
        dev = torch.device(self.device)
        ov = self._overlap(tile_overlap)
        tile_n = self._tile_for(h, w, tile, ov)
        x = x.to(device=dev, dtype=self._dtype())
        fn: Callable[[torch.Tensor], torch.Tensor] = self._raw_forward
        while True:
            bar = self._progress_bar(h, w, tile_n, ov, progress)
            hooks = []
            if bar is not None:
                def hook(mod: Any, _inp: Any, out: Any, bar: Any = bar) -> None:
                    # never past the total: padding and float sums may overshoot it a hair
                    bar.update(min(_conv_flops(mod, out) / 1e9, bar.total - bar.n))

                hooks = [m.register_forward_hook(hook) for m in self._descriptor.model.modules()
                         if isinstance(m, torch.nn.Conv2d)]
            try:
                with torch.inference_mode():
                    # Real-CUGAN's SE blocks pool over the whole image: their means are gathered
                    # over all tiles first (upscalekit.models.global_pool); other networks tile as is.
                    y = run_tiled_global_pool(fn, x, model=self._descriptor.model, scale=self._net_scale,
                                              tile=tile_n, overlap=ov, progress=False)
                if bar is not None:
                    bar.n = bar.total  # padding and rounding: land on 100 %
                    bar.refresh()
                return y
            except torch.cuda.OutOfMemoryError:
                torch.cuda.empty_cache()
                new = (tile_n or max(h, w)) // 2
                if new <= max(2 * ov, 16):
                    raise RuntimeError(
                        f"{self.name}: CUDA out of memory even with tile={tile_n}; free GPU memory, "
                        "use a smaller tile_overlap, or run on the CPU (device='cpu')"
                    ) from None
                warnings.warn(f"{self.name}: CUDA out of memory with tile={tile_n}; retrying with {new}",
                              RuntimeWarning, stacklevel=3)
                tile_n = new
            finally:
                for hd in hooks:
                    hd.remove()
                if bar is not None:
                    bar.close()

    def _progress_bar(self, h: int, w: int, tile_n: int | None, ov: int, progress: bool | None) -> Any:
        """A tqdm bar in GFLOP over the whole run, or None (see ``progress`` in :meth:`Upscaler.upscale`)."""
        if progress is False or (progress is None and not _interactive()):
            return None  # nothing to show, and no calibration run spent on it
        from tqdm.auto import tqdm

        from upscalekit.models.tiling import overhead

        if tile_n is None or (tile_n >= h and tile_n >= w):
            tiles = 1
        else:
            from upscalekit.models.tiling import tile_ranges

            tiles = len(tile_ranges(h, tile_n, ov)) * len(tile_ranges(w, tile_n, ov))
        total = self.cost(h, w).flops * overhead(h, w, tile_n, ov)
        predicted = total / self.calibrate()
        if progress is None and predicted <= PROGRESS_AFTER_S:
            return None
        where = f"{tiles} tiles of {tile_n}" if tiles > 1 else "untiled"
        return tqdm(total=total / 1e9, unit="GFLOP", leave=False,
                    desc=f"{self.name} {w}×{h} ({where}, ~{predicted:.0f} s predicted)",
                    bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} {unit} "
                               "[{elapsed}<{remaining}, {rate_fmt}]")

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

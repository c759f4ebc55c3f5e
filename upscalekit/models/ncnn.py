"""Read ncnn models (``.param`` + ``.bin``) and turn them into PyTorch state dicts.

Several registry packages ship real pretrained upscalers only in ncnn's format. The
``.param`` file is text: the magic ``7767517``, the layer and blob counts, then one line per
layer ``Type Name nIn nOut in_blobs... out_blobs... k=v ...`` (keys ``-233xx`` hold arrays
written ``count,v1,v2...``). The ``.bin`` file holds the weights of the layers in the same
order, with no names: for a Convolution a 4-byte tag (``0x01306B47``: fp16 values follow,
padded to 4 bytes; ``0``: fp32) then the weights, then the bias as raw fp32; a PReLU layer
holds its slopes as raw fp32. Because nothing in the ``.bin`` says where a layer ends, the
sizes come from the ``.param`` and the file must be exactly as long as they add up to — a
shorter or longer file is corrupt and is refused, never half-converted.

The tensors are then named for spandrel's architectures: ESRGAN/RRDBNet (``conv_first``,
``body.N.rdbM.convK``, ``conv_body``, ``conv_up1``, ``conv_up2``, ``conv_hr``, ``conv_last``)
and SRVGGNetCompact (``body.N`` alternating convolutions and PReLU slopes), and for the kit's
own waifu2x UpConv7 (a Deconvolution layer is stored like a Convolution, kernel ``(out, in, kh, kw)``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from upscalekit.models.archs import UPCONV7_CHANNELS

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "NCNN_ARCHS",
    "NcnnLayer",
    "NcnnModel",
    "expected_bin_size",
    "parse_param",
    "read_ncnn",
    "to_state_dict",
]

_MAGIC = 7767517
_TAG_FP16 = 0x01306B47
_TAG_FP32 = 0


@dataclass(frozen=True)
class NcnnLayer:
    """One line of a ``.param`` file.

    Attributes
    ----------
    type, name
        Layer type (``"Convolution"``, ``"PReLU"``…) and its unique name.
    inputs, outputs
        Blob names consumed and produced.
    params
        ``{key: value}``; scalars are int or float, array keys (``-233xx``) hold tuples.
    """

    type: str
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    params: dict[int, int | float | tuple[int | float, ...]] = field(default_factory=dict)

    def get(self, key: int, default: int | float = 0) -> int | float:
        value = self.params.get(key, default)
        if isinstance(value, tuple):
            raise ValueError(f"ncnn layer {self.name}: param {key} is an array, expected a scalar")
        return value


@dataclass(frozen=True, eq=False)
class NcnnModel:
    """A parsed ncnn model: its layers and the weights of those that have any.

    Attributes
    ----------
    layers
        Every layer in file order.
    weights
        ``{layer name: {"weight": array, "bias": array}}`` for Convolution layers (weights
        shaped ``(out, in, kh, kw)``) and ``{"weight": slopes}`` for PReLU layers.
    """

    layers: tuple[NcnnLayer, ...]
    weights: dict[str, dict[str, np.ndarray]]


def _number(text: str) -> int | float:
    # ncnn writes floats with a '.' or an exponent; everything else is an int.
    return float(text) if any(c in text for c in ".eE") else int(text)


def parse_param(path: str | os.PathLike[str]) -> tuple[NcnnLayer, ...]:
    """Parse a text ``.param`` file.

    Raises
    ------
    ValueError
        Not a text ncnn param file (wrong magic, counts, or a malformed line); the message
        names the file.

    Examples
    --------
    >>> layers = parse_param("realesr-animevideov3-x4.param")  # doctest: +SKIP
    >>> layers[2].type, layers[2].get(0)  # doctest: +SKIP
    ('Convolution', 64)
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="ascii").split("\n")
    except (UnicodeDecodeError, OSError) as err:
        raise ValueError(f"{path}: not a readable text ncnn .param file ({err})") from err
    lines = [ln.strip() for ln in lines if ln.strip()]
    if not lines or lines[0] != str(_MAGIC):
        raise ValueError(f"{path}: not an ncnn .param file (first line should be {_MAGIC})")
    try:
        n_layers, _n_blobs = (int(x) for x in lines[1].split())
    except (ValueError, IndexError) as err:
        raise ValueError(f"{path}: line 2 should hold the layer and blob counts") from err
    body = lines[2:]
    if len(body) != n_layers:
        raise ValueError(f"{path}: header says {n_layers} layers, found {len(body)} (truncated file?)")
    layers = []
    for lineno, line in enumerate(body, start=3):
        parts = line.split()
        try:
            ltype, name, n_in, n_out = parts[0], parts[1], int(parts[2]), int(parts[3])
            blobs = parts[4 : 4 + n_in + n_out]
            if len(blobs) != n_in + n_out:
                raise ValueError("missing blob names")
            params: dict[int, int | float | tuple[int | float, ...]] = {}
            for kv in parts[4 + n_in + n_out :]:
                key_s, value_s = kv.split("=", 1)
                key = int(key_s)
                if key <= -23300:  # array: count,v1,v2...
                    items = value_s.split(",")
                    params[-key - 23300] = tuple(_number(v) for v in items[1:])
                else:
                    params[key] = _number(value_s)
        except (ValueError, IndexError) as err:
            raise ValueError(f"{path}:{lineno}: malformed ncnn layer line {line[:80]!r} ({err})") from err
        layers.append(NcnnLayer(ltype, name, tuple(blobs[:n_in]), tuple(blobs[n_in:]), params))
    return tuple(layers)


def _conv_shapes(layer: NcnnLayer) -> tuple[tuple[int, int, int, int], int]:
    out_c = int(layer.get(0))
    kw = int(layer.get(1))
    kh = int(layer.get(11, kw))
    size = int(layer.get(6))
    group = int(layer.get(7, 1))
    if out_c <= 0 or kw <= 0 or size % (out_c * kw * kh):
        raise ValueError(f"ncnn layer {layer.name}: inconsistent sizes (num_output={out_c}, kernel={kw}, "
                         f"weight_data_size={size})")
    if group != 1:
        raise ValueError(f"ncnn layer {layer.name}: grouped convolution (group={group}) is not supported")
    in_c = size // (out_c * kw * kh)
    return (out_c, in_c, kh, kw), (out_c if layer.get(5) else 0)


_CONV_TYPES = ("Convolution", "Deconvolution")  # same storage: tag, weights (out, in, kh, kw), fp32 bias

_WEIGHTLESS = {
    "Input", "Split", "Concat", "Eltwise", "BinaryOp", "Interp", "PixelShuffle", "ReLU", "Sigmoid",
    "Crop", "Reshape", "Permute", "Flatten", "Slice", "Noop", "Clip", "TanH", "UnaryOp", "Padding",
    "Pooling", "Swish",
}


def _inner_product_shape(layer: NcnnLayer) -> tuple[tuple[int, int], int]:
    out_c, size = int(layer.get(0)), int(layer.get(2))
    if out_c <= 0 or size % out_c:
        raise ValueError(f"ncnn layer {layer.name}: inconsistent sizes (num_output={out_c}, "
                         f"weight_data_size={size})")
    return (out_c, size // out_c), (out_c if layer.get(1) else 0)


def _memory_data_count(layer: NcnnLayer) -> int:
    # MemoryData holds w × h × c raw fp32 values (no storage tag); absent dimensions are 0.
    dims = [int(layer.get(k)) for k in (0, 1, 2, 11)]
    return int(np.prod([d for d in dims if d > 0])) if any(dims) else 0


def _scale_has_weights(layer: NcnnLayer) -> bool:
    # Scale with scale_data_size = -233 takes its factors from a second input blob: no weights.
    return int(layer.get(0)) != -233


def expected_bin_size(layers: tuple[NcnnLayer, ...]) -> int:
    """Bytes a ``.bin`` must have for these layers, assuming fp16 convolution weights.

    Examples
    --------
    >>> expected_bin_size(parse_param("realesr-animevideov3-x4.param"))  # doctest: +SKIP
    1247368
    """
    total = 0
    for layer in layers:
        if layer.type in _CONV_TYPES:
            shape, n_bias = _conv_shapes(layer)
            n = int(np.prod(shape))
            total += 4 + (n * 2 + 3) // 4 * 4 + 4 * n_bias
        elif layer.type == "InnerProduct":
            (o, i), n_bias = _inner_product_shape(layer)
            total += 4 + (o * i * 2 + 3) // 4 * 4 + 4 * n_bias
        elif layer.type == "PReLU":
            total += 4 * int(layer.get(0, 1))
        elif layer.type == "MemoryData":
            total += 4 * _memory_data_count(layer)
    return total


def read_ncnn(param: str | os.PathLike[str], bin: str | os.PathLike[str]) -> NcnnModel:  # noqa: A002
    """Read an ncnn model's layers and weights (as float32 NumPy arrays).

    Raises
    ------
    ValueError
        The ``.bin`` is shorter or longer than the ``.param`` requires, holds an unknown
        storage tag, or a layer with weights of an unsupported type; the message names the file.

    Examples
    --------
    >>> model = read_ncnn("realesr-animevideov3-x4.param", "realesr-animevideov3-x4.bin")  # doctest: +SKIP
    >>> model.weights["Conv_0"]["weight"].shape  # doctest: +SKIP
    (64, 3, 3, 3)
    """
    bin_path = Path(bin)
    layers = parse_param(param)
    data = bin_path.read_bytes()
    pos = 0

    def take(nbytes: int, what: str) -> bytes:
        nonlocal pos
        if pos + nbytes > len(data):
            raise ValueError(
                f"{bin_path}: truncated or corrupt ncnn weights: {what} needs bytes {pos}..{pos + nbytes} "
                f"but the file has {len(data)} (the .param expects about {expected_bin_size(layers)}); "
                "delete the file and fetch it again"
            )
        chunk = data[pos : pos + nbytes]
        pos += nbytes
        return chunk

    def tagged(layer: NcnnLayer, shape: tuple[int, ...], n_bias: int) -> dict[str, np.ndarray]:
        n = int(np.prod(shape))
        tag = int(np.frombuffer(take(4, f"{layer.name} tag"), "<u4")[0])
        if tag == _TAG_FP16:
            w = np.frombuffer(take(n * 2, f"{layer.name} fp16 weights"), "<f2").astype(np.float32)
            take((n * 2 + 3) // 4 * 4 - n * 2, f"{layer.name} alignment")  # next layer starts 4-aligned
        elif tag == _TAG_FP32:
            w = np.frombuffer(take(n * 4, f"{layer.name} fp32 weights"), "<f4").astype(np.float32)
        else:
            raise ValueError(
                f"{bin_path}: layer {layer.name} has storage tag {tag:#010x}; only fp16 "
                f"({_TAG_FP16:#010x}) and fp32 (0) are supported (int8/quantised models are not) "
                "— or the file is corrupt"
            )
        entry = {"weight": w.reshape(shape)}
        if n_bias:
            bias = take(4 * n_bias, f"{layer.name} bias")
            entry["bias"] = np.frombuffer(bias, "<f4").astype(np.float32)
        return entry

    weights: dict[str, dict[str, np.ndarray]] = {}
    for layer in layers:
        if layer.type in _CONV_TYPES:
            weights[layer.name] = tagged(layer, *_conv_shapes(layer))
        elif layer.type == "InnerProduct":
            weights[layer.name] = tagged(layer, *_inner_product_shape(layer))
        elif layer.type == "MemoryData":
            n = _memory_data_count(layer)
            weights[layer.name] = {"weight": np.frombuffer(take(4 * n, f"{layer.name} data"), "<f4").copy()}
        elif layer.type == "Scale" and not _scale_has_weights(layer):
            continue
        elif layer.type == "PReLU":
            n = int(layer.get(0, 1))
            slopes = np.frombuffer(take(4 * n, f"{layer.name} slopes"), "<f4").astype(np.float32)
            weights[layer.name] = {"weight": slopes}
        elif layer.type not in _WEIGHTLESS:
            raise ValueError(f"{param}: ncnn layer type {layer.type!r} ({layer.name}) is not supported here")
    if pos != len(data):
        raise ValueError(
            f"{bin_path}: corrupt ncnn weights: the .param accounts for {pos} bytes but the file has "
            f"{len(data)}; it does not belong to this .param or is damaged — delete it and fetch it again"
        )
    for name, entry in weights.items():
        for key, arr in entry.items():
            if not np.isfinite(arr).all():
                raise ValueError(f"{bin_path}: layer {name} {key} holds NaN/inf values: the file is corrupt")
    return NcnnModel(tuple(layers), weights)


def _convs(model: NcnnModel) -> list[NcnnLayer]:
    return [la for la in model.layers if la.type == "Convolution"]


def _rrdb_keys(n_convs: int) -> list[str]:
    n_blocks, rest = divmod(n_convs - 6, 15)
    if rest or n_blocks < 1:
        raise ValueError(f"{n_convs} convolutions do not fit the RRDBNet layout (6 + 15 per block)")
    keys = ["conv_first"]
    keys += [f"body.{b}.rdb{r}.conv{c}" for b in range(n_blocks) for r in (1, 2, 3) for c in range(1, 6)]
    keys += ["conv_body", "conv_up1", "conv_up2", "conv_hr", "conv_last"]
    return keys


def to_state_dict(model: NcnnModel, arch: str) -> dict[str, torch.Tensor]:
    """Name an ncnn model's tensors for a spandrel architecture.

    Parameters
    ----------
    model
        From :func:`read_ncnn`.
    arch
        ``"ESRGAN"`` (RRDBNet, 4×: ``conv_first``, ``body.N.rdbM.convK``, ``conv_body``,
        ``conv_up1/2``, ``conv_hr``, ``conv_last``), ``"Compact"`` (SRVGGNetCompact:
        ``body.N`` alternating convolutions and PReLU slopes) or ``"waifu2x-UpConv7"``
        (``body.0…10`` convolutions and ``upconv``, see :mod:`upscalekit.models.archs`).

    Raises
    ------
    ValueError
        The layer sequence does not match the architecture.

    Examples
    --------
    >>> sd = to_state_dict(read_ncnn(p, b), "Compact")  # doctest: +SKIP
    >>> sorted(sd)[:2]  # doctest: +SKIP
    ['body.0.bias', 'body.0.weight']
    """
    import torch

    sd: dict[str, torch.Tensor] = {}

    def put(key: str, layer: NcnnLayer) -> None:
        for part, arr in model.weights[layer.name].items():
            sd[f"{key}.{part}"] = torch.from_numpy(arr.copy())

    if arch == "ESRGAN":
        convs = _convs(model)
        if any(la.type == "PReLU" for la in model.layers):
            raise ValueError("an RRDBNet has no PReLU layers; this ncnn model is not ESRGAN-shaped")
        for key, layer in zip(_rrdb_keys(len(convs)), convs, strict=True):
            put(key, layer)
    elif arch == "Compact":
        weighted = [la for la in model.layers if la.type in ("Convolution", "PReLU")]
        kinds = [la.type for la in weighted]
        want = ["Convolution", "PReLU"] * ((len(weighted) - 1) // 2) + ["Convolution"]
        if kinds != want or len(weighted) < 3:
            raise ValueError("this ncnn model is not SRVGGNetCompact-shaped (conv, PReLU, …, conv)")
        if not any(la.type == "PixelShuffle" for la in model.layers):
            raise ValueError("SRVGGNetCompact ends in a PixelShuffle; this ncnn model has none")
        for i, layer in enumerate(weighted):
            put(f"body.{i}", layer)
    elif arch == "waifu2x-UpConv7":
        weighted = [la for la in model.layers if la.type in _CONV_TYPES or la.type == "PReLU"]
        want = ["Convolution"] * len(UPCONV7_CHANNELS) + ["Deconvolution"]
        if [la.type for la in weighted] != want:
            raise ValueError("this ncnn model is not UpConv7-shaped (6 convolutions, 1 deconvolution)")
        for i, layer in enumerate(weighted[:-1]):
            put(f"body.{2 * i}", layer)
        deconv = model.weights[weighted[-1].name]
        # ncnn stores a deconvolution's kernel (out, in, kh, kw); torch's ConvTranspose2d wants
        # (in, out, kh, kw), unflipped (checked against the ncnn original: max diff 1.3e-6).
        sd["upconv.weight"] = torch.from_numpy(deconv["weight"].transpose(1, 0, 2, 3).copy())
        sd["upconv.bias"] = torch.from_numpy(deconv["bias"].copy())
    elif arch in ("RealCUGAN", "RealCUGAN-pro"):
        sd.update(_realcugan_state_dict(model, pro=arch == "RealCUGAN-pro"))
    elif arch == "SPAN":
        sd.update(_span_state_dict(model))
    else:
        raise ValueError(f"no ncnn → state dict mapping for architecture {arch!r}; known: "
                         f"{', '.join(NCNN_ARCHS)}")
    return sd


#: Architectures :func:`to_state_dict` can name an ncnn model's tensors for.
NCNN_ARCHS = ("ESRGAN", "Compact", "waifu2x-UpConv7", "RealCUGAN", "RealCUGAN-pro", "SPAN")


def _torch_layout(layer: NcnnLayer, entry: dict[str, np.ndarray], want: tuple[int, ...]) -> np.ndarray:
    """An ncnn weight in the layout of a torch module whose weight has shape ``want``."""
    w = entry["weight"]
    if layer.type == "Deconvolution":
        w = w.transpose(1, 0, 2, 3)  # ncnn (out, in, kh, kw) → ConvTranspose2d (in, out, kh, kw)
    elif layer.type == "InnerProduct":
        w = w.reshape(*w.shape, 1, 1)  # an SE block's fully connected layer is a 1×1 convolution in torch
    if tuple(w.shape) != tuple(want):
        raise ValueError(f"ncnn layer {layer.name} ({layer.type}) has weights {tuple(w.shape)}, the "
                         f"architecture expects {tuple(want)}")
    return w


def _realcugan_state_dict(model: NcnnModel, *, pro: bool) -> dict[str, torch.Tensor]:
    """Real-CUGAN (and waifu2x CUNet, the same network): two U-Nets with squeeze-excitation blocks.

    spandrel's ``UpCunet2x/3x/4x`` registers its modules in the order the ncnn graph runs them
    (UNet1: conv1, conv1_down, conv2 + its SE block, conv2_up, conv3, conv_bottom; then UNet2;
    ×4 ends with ``conv_final`` before the pixel shuffle), so the weighted layers pair up one to
    one with the modules' weights; every shape is checked.
    """
    import torch
    from spandrel.architectures.RealCUGAN import UpCunet2x, UpCunet3x, UpCunet4x

    weighted = [la for la in model.layers if la.type in (*_CONV_TYPES, "InnerProduct")]
    if not any(la.type == "InnerProduct" for la in weighted):
        raise ValueError("Real-CUGAN's U-Nets have squeeze-excitation blocks (InnerProduct layers); this "
                         "ncnn model has none (a 'nose' model, or not Real-CUGAN)")
    if any(la.type == "PixelShuffle" for la in model.layers):
        cls: type = UpCunet4x
    elif any(la.type == "Deconvolution" and la.get(1) == 5 and la.get(3) == 3 for la in weighted):
        cls = UpCunet3x
    else:
        cls = UpCunet2x
    net = cls(in_channels=3, out_channels=3, pro=pro)
    targets = [(name, m) for name, m in net.named_modules()
               if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d)]
    if len(targets) != len(weighted):
        raise ValueError(f"{cls.__name__} has {len(targets)} convolutions, this ncnn model "
                         f"{len(weighted)} weighted layers: not Real-CUGAN-shaped")
    sd: dict[str, torch.Tensor] = {}
    for (name, mod), layer in zip(targets, weighted, strict=True):
        entry = model.weights[layer.name]
        sd[f"{name}.weight"] = torch.from_numpy(_torch_layout(layer, entry, tuple(mod.weight.shape)).copy())
        if mod.bias is not None:
            if "bias" not in entry:
                raise ValueError(f"ncnn layer {layer.name} has no bias; {name} needs one")
            sd[f"{name}.bias"] = torch.from_numpy(entry["bias"].copy())
    if pro:
        # spandrel marks the "pro" variant (input scaled by 0.7 and shifted by 0.15, undone on the
        # output, as the Real-CUGAN pro models expect) by this buffer's presence.
        sd["pro"] = torch.zeros(1)
    return sd


_SPAN_MEAN = (0.4488, 0.4371, 0.4040)  # spandrel's SPAN subtracts this mean (DIV2K's), times 255


def _span_state_dict(model: NcnnModel) -> dict[str, torch.Tensor]:
    """SPAN (Wan et al. 2024): 3×3 convolutions re-parameterised for inference.

    Trained SPAN convolutions (``Conv3XC``) are three branches — 1×1 → 3×3 → 1×1 plus a 1×1 skip —
    that fold into one 3×3 ``eval_conv``; an ncnn export holds only the folded kernels. spandrel's
    ``Conv3XC`` recomputes ``eval_conv`` from the branches on every forward, so the branches are
    built to fold back to exactly the exported kernel: identity 1×1 convolutions around the kernel
    (zero-padded to the doubled width) and a zero skip. Each product in the fold is a weight times
    1 or 0, so the folded kernel is the exported one bit for bit.
    """
    import torch

    mem = [la for la in model.layers if la.type == "MemoryData"]
    convs = [la for la in model.layers if la.type == "Convolution"]
    if len(mem) != 1 or (len(convs) - 4) % 3 or len(convs) < 7:
        raise ValueError("this ncnn model is not SPAN-shaped (one mean constant, conv_1, 3 convolutions "
                         "per block, conv_2, conv_cat, upsampler)")
    mean = model.weights[mem[0].name]["weight"].ravel()
    if mean.shape != (3,) or np.abs(mean - np.array(_SPAN_MEAN, np.float32)).max() > 1e-6:
        raise ValueError(f"this SPAN subtracts the mean {mean.tolist()}; spandrel's SPAN assumes "
                         f"{_SPAN_MEAN} (4xSPANkendata is one such model)")
    scales = [la.get(2, 0.0) for la in model.layers if la.type == "BinaryOp" and la.get(1) == 1
              and la.get(0) == 2]
    if not scales or abs(float(scales[0]) - 255.0) > 1e-6:
        raise ValueError(f"this SPAN multiplies its input by {scales[:1]}; spandrel's SPAN assumes 255")
    n_blocks = (len(convs) - 4) // 3
    if n_blocks != 6:
        raise ValueError(f"spandrel's SPAN has 6 blocks; this ncnn model has {n_blocks}")
    keys = ["conv_1"] + [f"block_{b}.c{c}_r" for b in range(1, 7) for c in (1, 2, 3)] + ["conv_2"]
    sd: dict[str, torch.Tensor] = {}
    for key, layer in zip(keys, convs[: len(keys)], strict=True):
        w = torch.from_numpy(model.weights[layer.name]["weight"].copy())
        b = torch.from_numpy(model.weights[layer.name]["bias"].copy())
        c_out, c_in, kh, kw = w.shape
        if (kh, kw) != (3, 3):
            raise ValueError(f"ncnn layer {layer.name}: SPAN's {key} is 3×3, found {kh}×{kw}")
        conv0 = torch.zeros(2 * c_in, c_in, 1, 1)
        conv0[:c_in, :, 0, 0] = torch.eye(c_in)
        conv1 = torch.zeros(2 * c_out, 2 * c_in, 3, 3)
        conv1[:c_out, :c_in] = w
        bias1 = torch.zeros(2 * c_out)
        bias1[:c_out] = b
        conv2 = torch.zeros(c_out, 2 * c_out, 1, 1)
        conv2[:, :c_out, 0, 0] = torch.eye(c_out)
        sd.update({
            f"{key}.sk.weight": torch.zeros(c_out, c_in, 1, 1), f"{key}.sk.bias": torch.zeros(c_out),
            f"{key}.conv.0.weight": conv0, f"{key}.conv.0.bias": torch.zeros(2 * c_in),
            f"{key}.conv.1.weight": conv1, f"{key}.conv.1.bias": bias1,
            f"{key}.conv.2.weight": conv2, f"{key}.conv.2.bias": torch.zeros(c_out),
            f"{key}.eval_conv.weight": w, f"{key}.eval_conv.bias": b,
        })
    for key, layer in zip(("conv_cat", "upsampler.0"), convs[len(keys):], strict=True):
        sd[f"{key}.weight"] = torch.from_numpy(model.weights[layer.name]["weight"].copy())
        sd[f"{key}.bias"] = torch.from_numpy(model.weights[layer.name]["bias"].copy())
    if not any(la.type == "PixelShuffle" for la in model.layers):
        raise ValueError("SPAN ends in a PixelShuffle; this ncnn model has none")
    return sd

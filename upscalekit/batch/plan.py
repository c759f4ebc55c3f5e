"""Which files a batch reads, and where each result goes: inputs → a mirrored tree of named outputs.

An input is a folder (searched recursively for images), a glob (``photos/**/*.jpg``), an image
file, or a manifest: a text file (``.txt``, ``.lst``, ``.list``) with one path, folder or glob per
line, ``#`` comments, relative entries read from the manifest's folder.

Outputs mirror each file's place under its input root. The name keeps the source extension
(``photo.png`` and ``photo.jpg`` become ``photo-png__…`` and ``photo-jpg__…``) and encodes every
setting that changes pixels, readable first (model, scale, strength, precision), then a short hash
of all of them (weights, tile, overlap included), so no run overwrites another's result::

    out/trip/photo-jpg__realesrgan-x4plus_x4_fp32_1f3a9c02.png
    out/trip/photo-jpg__realesrgan-x4plus_x4_fp32_1f3a9c02.png.json   # the sidecar
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["IMAGE_EXT", "MANIFEST_EXT", "Job", "Source", "find_inputs", "output_name", "plan_jobs",
           "settings_hash"]

#: Image file extensions a folder or glob picks up (explicitly named files are always tried).
IMAGE_EXT = frozenset({".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"})
#: Extensions read as manifests (one input per line).
MANIFEST_EXT = frozenset({".txt", ".lst", ".list"})


@dataclass(frozen=True)
class Source:
    """One input file and the root its place in the output tree is measured from.

    Attributes
    ----------
    path : pathlib.Path
        The file (may not exist or not be an image: that is reported when the job runs).
    root : pathlib.Path
        The folder the output tree mirrors (the input folder, a glob's fixed prefix, a file's folder).
    """

    path: Path
    root: Path

    @property
    def relative(self) -> Path:
        """``path`` relative to ``root``."""
        return Path(os.path.relpath(self.path, self.root))


@dataclass(frozen=True)
class Job:
    """One file to upscale: where it is read, where its output and sidecar are written.

    Attributes
    ----------
    input : str
        Input file path.
    relative : str
        Its path in the mirrored tree (POSIX separators), as recorded in the sidecar.
    output : str
        Output image path (PNG).
    """

    input: str
    relative: str
    output: str

    @property
    def sidecar(self) -> str:
        """The JSON sidecar next to the output: ``output + ".json"``."""
        return self.output + ".json"


def _glob_root(pattern: str) -> Path:
    # The longest leading part of the pattern without wildcards: the tree mirrors what lies below it.
    parts = Path(pattern).parts
    fixed: list[str] = []
    for p in parts:
        if glob.has_magic(p):
            break
        fixed.append(p)
    return Path(*fixed) if fixed else Path(".")


def _walk(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXT
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _expand_one(text: str, base: Path | None, depth: int) -> list[Source]:
    raw = Path(text).expanduser()
    p = raw if raw.is_absolute() or base is None else base / raw
    if p.is_dir():
        return [Source(f, p) for f in _walk(p)]
    if glob.has_magic(str(p)) and not p.exists():
        root = _glob_root(str(p))
        hits = sorted(Path(h) for h in glob.glob(str(p), recursive=True))
        out: list[Source] = []
        for h in hits:
            if h.is_dir():
                out += [Source(f, h) for f in _walk(h)]
            elif h.suffix.lower() in IMAGE_EXT:
                out.append(Source(h, root))
        return out
    if p.suffix.lower() in MANIFEST_EXT and p.is_file():
        if depth > 8:
            raise ValueError(f"{p}: manifests nest more than 8 deep; is one listing itself?")
        out = []
        for line in p.read_text(encoding="utf-8").splitlines():
            entry = line.split("#", 1)[0].strip()
            if entry:
                out += _expand_one(entry, p.parent, depth + 1)
        return out
    return [Source(p, p.parent)]  # a file (missing or unreadable ones are reported when their job runs)


def _is_output(path: Path, root: Path, out: Path | None) -> bool:
    # A folder walk must not read a batch's own results back in: files under an output folder that lies
    # inside the input root, and anything that carries a batch sidecar (``NAME__SETTINGS.png.json``).
    if out is not None and out != root and out.is_relative_to(root) and path.is_relative_to(out):
        return True
    return "__" in path.stem and path.with_name(path.name + ".json").is_file()


def find_inputs(inputs: Sequence[str | os.PathLike[str]], *, exclude: str | os.PathLike[str] | None = None
                ) -> list[Source]:
    """Expand folders (recursively), globs and manifests into input files, each with its root.

    Hidden files and folders (``.name``) are skipped inside folders; a file reached twice is kept once.
    Folder and glob walks leave out a batch's own results: everything under ``exclude`` (the output
    folder) when it lies inside the walked folder, and files with a batch sidecar. Files named one by
    one are always kept.

    Examples
    --------
    >>> [s.relative.as_posix() for s in find_inputs(["photos/"])]  # doctest: +SKIP
    ['a.png', 'trip/b.jpg', 'trip/b.png']
    """
    skip = Path(exclude).resolve() if exclude is not None else None
    seen: set[Path] = set()
    out: list[Source] = []
    for item in inputs:
        named = Path(os.fspath(item)).expanduser()
        explicit = named.suffix.lower() in IMAGE_EXT and not glob.has_magic(str(named))
        for s in _expand_one(os.fspath(item), None, 0):
            real = s.path.resolve()
            if real in seen or (not explicit and _is_output(real, s.root.resolve(), skip)):
                continue
            seen.add(real)
            out.append(s)
    return out


def settings_hash(settings: Mapping[str, Any]) -> str:
    """The first 8 hex digits of the sha256 of the settings as canonical JSON.

    Examples
    --------
    >>> settings_hash({"model": "bicubic", "scale": 2.0})
    '39a2b295'
    """
    text = json.dumps(dict(settings), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _num(x: float) -> str:
    return f"{x:g}".replace(".", "p")


def output_name(relative: str | os.PathLike[str], settings: Mapping[str, Any]) -> str:
    """The output's relative path for an input's relative path and the pixel-changing settings.

    ``settings`` must hold ``model``, ``scale``, ``strength`` and ``precision``; every key takes part
    in the hash. Strength 1 (the plain model) is left out of the readable part.

    Examples
    --------
    >>> s = {"model": "bicubic", "scale": 2.0, "strength": 1.0, "precision": "fp32"}
    >>> output_name("trip/photo.jpg", s)
    'trip/photo-jpg__bicubic_x2_fp32_b1807fd3.png'
    """
    rel = Path(relative)
    ext = rel.suffix[1:] or "noext"
    model = str(settings["model"]).replace("/", "_").replace(os.sep, "_")
    parts = [model, f"x{_num(float(settings['scale']))}"]
    if float(settings["strength"]) != 1.0:
        parts.append(f"s{_num(float(settings['strength']))}")
    parts.append(str(settings["precision"]))
    parts.append(settings_hash(settings))
    name = f"{rel.stem}-{ext}__{'_'.join(parts)}.png"
    return (rel.parent / name).as_posix()


def plan_jobs(sources: Iterable[Source], out_dir: str | os.PathLike[str], settings: Mapping[str, Any]
              ) -> list[Job]:
    """One :class:`Job` per source, outputs mirrored under ``out_dir``.

    With several input roots the tree mirrors their common folder, so ``a/x.png`` and ``b/x.png``
    land in ``out/a/`` and ``out/b/``.

    Raises
    ------
    ValueError
        Two inputs would write the same output (cannot happen for distinct files; kept as a guard).

    Examples
    --------
    >>> jobs = plan_jobs(find_inputs(["photos/"]), "out", settings)  # doctest: +SKIP
    """
    srcs = list(sources)
    roots = {s.root.resolve() for s in srcs}
    common = Path(os.path.commonpath([str(r) for r in roots])) if len(roots) > 1 else None
    out = Path(out_dir)
    jobs: list[Job] = []
    taken: dict[str, str] = {}
    for s in srcs:
        rel = Path(os.path.relpath(s.path.resolve(), common)) if common is not None else s.relative
        if rel.parts and rel.parts[0] == "..":  # an input outside its root (a manifest's ../x.png)
            rel = Path(*[p for p in rel.parts if p != ".."])
        dest = (out / output_name(rel, settings)).as_posix()
        if dest in taken:
            raise ValueError(f"{s.path} and {taken[dest]} would both write {dest}; rename one of them")
        taken[dest] = str(s.path)
        jobs.append(Job(str(s.path), rel.as_posix(), dest))
    return jobs

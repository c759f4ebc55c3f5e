"""Image files, integer pixel formats and tensors: the one place they exist.

Everything else in the kit sees HWC float32 RGB in [0, 1] NumPy arrays. This
module reads and writes files (PNG 8/16-bit, JPEG with EXIF orientation,
WebP, TIFF), converts integer data to float and back, runs real codecs in
memory (JPEG round trips for the degradation lab), and converts to and from
NCHW torch tensors. Bad files raise an error that names the file and the
problem instead of returning a garbage array.
"""

from __future__ import annotations

import contextlib
import io as _io
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from upscalekit._checks import check_image
from upscalekit.pixels import as_rgb

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "ImageInfo",
    "MAX_PIXELS",
    "encode_png",
    "from_tensor",
    "jpeg_roundtrip",
    "read_image",
    "to_float",
    "to_tensor",
    "to_uint",
    "write_image",
]

#: Largest image (in pixels) read_image accepts unless told otherwise: 16k × 16k.
MAX_PIXELS = 16384 * 16384

_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF",
            ".tiff": "TIFF", ".bmp": "BMP"}


@dataclass(frozen=True)
class ImageInfo:
    """What a file held before it became float32 RGB.

    Attributes
    ----------
    path : str
        The file read (``"<N bytes>"`` or the upload's name for in-memory data).
    format : str
        Container format as Pillow names it (``"PNG"``, ``"JPEG"``…).
    mode : str
        Pillow mode of the stored pixels (``"RGB"``, ``"RGBA"``, ``"L"``, ``"I;16"``, ``"CMYK"``, ``"P"``,
        ``"F"`` or ``"float32"`` for floating-point TIFFs…).
    bit_depth : int
        8, 16 or 32 (floating point).
    channels : int
        1 (gray), 3 (RGB) or 4 (RGB + alpha) as returned with ``mode="keep"``.
    frames : int
        Frames in the file (animated GIF/WebP/APNG, multi-page TIFF); one was read.
    frame : int
        Which frame was read.
    icc_profile : bytes or None
        The embedded ICC profile; the pixels returned were converted from it to sRGB (unless
        ``color="raw"``). Pass it to :func:`write_image` (``icc_profile=``) to write back in kind.
    icc_description : str or None
        The profile's name (e.g. ``"Adobe RGB (1998)"``).
    value_range : tuple of float or None
        ``(min, max)`` of floating-point data as stored, before any clipping.
    """

    path: str
    format: str
    mode: str
    bit_depth: int
    channels: int
    frames: int = 1
    frame: int = 0
    icc_profile: bytes | None = None
    icc_description: str | None = None
    value_range: tuple[float, float] | None = None


def to_float(array: np.ndarray) -> np.ndarray:
    """Convert uint8/uint16 pixel data to float32 in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> float(to_float(np.array([255], np.uint8))[0])
    1.0
    """
    array = np.asarray(array)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    if array.dtype.kind == "f":
        return check_image(array.astype(np.float32, copy=False))
    raise ValueError(f"expected uint8, uint16 or float pixel data, got dtype {array.dtype}")


def to_uint(image: np.ndarray, bit_depth: int = 8) -> np.ndarray:
    """Round a float image in [0, 1] to uint8 or uint16.

    Examples
    --------
    >>> import numpy as np
    >>> to_uint(np.ones((1, 1, 3), np.float32)).max()
    np.uint8(255)
    """
    image = check_image(image)
    if bit_depth == 8:
        return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    if bit_depth == 16:
        return np.clip(np.rint(image * 65535.0), 0, 65535).astype(np.uint16)
    raise ValueError(f"bit_depth must be 8 or 16, got {bit_depth}")


def _png_bit_depth(head: bytes) -> int:
    # IHDR is the first chunk: 8-byte signature, 4 length, 4 type, 4 width, 4 height, 1 bit depth.
    return head[24] if len(head) > 24 and head[:8] == b"\x89PNG\r\n\x1a\n" else 8


#: Words in a decoder warning that mean the pixels are incomplete (promoted to OSError).
_DAMAGE_WORDS = ("truncat", "premature end", "not processed", "corrupt data")


class _DecodeWarning(Exception):
    """A decoder warning (damaged data) promoted to an error inside :func:`read_image`."""


@contextlib.contextmanager
def _pillow_guards() -> Iterator[None]:
    """Pillow settings read_image relies on, set for the duration of one read and then restored.

    ``LOAD_TRUNCATED_IMAGES`` is forced False: if a notebook set it True, a truncated file would
    decode to a half-grey array without a word. Pillow's own bomb limit is lifted because we
    apply ``max_pixels`` ourselves with a clearer message. Decoder warnings
    that speak of truncated or damaged pixel data become errors, so a partial decode never comes
    back quietly; other warnings (odd maker notes…) are passed on unchanged.
    """
    from PIL import Image, ImageFile

    saved = ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    Image.MAX_IMAGE_PIXELS = None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        for w in caught:
            text = str(w.message)
            if any(k in text.lower() for k in _DAMAGE_WORDS):
                raise _DecodeWarning(text)
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS = saved


#: Leading bytes → format, to name a file Pillow cannot open ("truncated or corrupt PNG").
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"),
          (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"BM", "BMP"))

#: What read_image accepts besides a path: raw bytes, a binary file object, an ipywidgets upload.
ImageSource = Any


def _sniff(head: bytes) -> str | None:
    for magic, fmt in _MAGIC:
        if head.startswith(magic):
            return fmt
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _load_source(source: ImageSource) -> tuple[str, Path | None, bytes | None]:
    """(name for messages, path or None, in-memory bytes or None); path checks happen here."""
    if isinstance(source, dict) and "content" in source:  # an ipywidgets FileUpload value entry
        return str(source.get("name") or f"<{len(source['content'])} bytes>"), None, bytes(source["content"])
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        return f"<{len(data)} bytes>", None, data
    if hasattr(source, "read"):
        data = source.read()
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"read_image: the file object returned {type(data).__name__}, not bytes; "
                            "open the file in binary mode ('rb') or pass io.BytesIO(data)")
        name = getattr(source, "name", None)
        return (str(name) if isinstance(name, str) else f"<{len(data)} bytes>"), None, bytes(data)
    if not isinstance(source, str | os.PathLike):
        raise TypeError(f"read_image takes a file path, bytes or a binary file object (io.BytesIO), "
                        f"got {type(source).__name__}; for a FileUpload widget pass upload.value[0]")
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, not an image file")
    return str(path), path, None


def _float_range(arr: np.ndarray, name: str, float_range: str) -> tuple[np.ndarray, tuple[float, float]]:
    """Floating-point pixels: never clipped without a word (HDR renders, EXR-like TIFFs)."""
    finite = np.isfinite(arr)
    if not finite.all():
        raise ValueError(f"{name}: {int(arr.size - finite.sum())} pixel values are NaN/inf; "
                         "the file holds invalid floating-point data")
    lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
    if lo >= 0.0 and hi <= 1.0 or float_range == "keep":
        return arr.astype(np.float32, copy=False), (lo, hi)
    outside = float(((arr < 0) | (arr > 1)).mean())
    text = (f"{name}: floating-point pixels span {lo:.4g} … {hi:.4g}, outside [0, 1] "
            f"({outside:.1%} of values)")
    if float_range == "raise":
        raise ValueError(f"{text}; pass float_range='clip' to clip them, or 'keep' for the raw (HDR) values")
    if float_range == "warn":
        warnings.warn(f"{text}: clipped to [0, 1]; pass float_range='keep' for the raw (HDR) values, or "
                      "tone-map them yourself", RuntimeWarning, stacklevel=3)
    return np.clip(arr, 0.0, 1.0).astype(np.float32), (lo, hi)


def _icc_to_srgb(im: Any, name: str) -> tuple[Any, str | None]:
    """Convert Pillow image ``im`` from its embedded ICC profile to sRGB (perceptual intent)."""
    from PIL import ImageCms

    icc = im.info.get("icc_profile")
    try:
        src = ImageCms.ImageCmsProfile(_io.BytesIO(icc))
        desc = (ImageCms.getProfileDescription(src) or "").strip() or None
    except (OSError, ImageCms.PyCMSError) as err:
        warnings.warn(f"{name}: its embedded ICC profile is unreadable ({err}); colours are read as sRGB",
                      RuntimeWarning, stacklevel=4)
        return im, None
    if im.mode not in ("RGB", "RGBA", "CMYK", "L", "LA"):
        return im, desc
    out_mode = {"CMYK": "RGB", "LA": "RGBA"}.get(im.mode, im.mode)
    if im.mode == "LA":
        im = im.convert("RGBA")
        out_mode = "RGBA"
    try:
        dst = ImageCms.createProfile("sRGB")
        if im.mode in ("L",):
            return im, desc  # a gray profile: the gray levels are kept as stored
        converted = ImageCms.profileToProfile(im, src, dst, outputMode=out_mode)
    except ImageCms.PyCMSError as err:
        warnings.warn(f"{name}: could not convert from its ICC profile {desc!r} to sRGB ({err}); colours "
                      "are read as stored", RuntimeWarning, stacklevel=4)
        return im, desc
    return converted, desc


def read_image(
    path: ImageSource,
    *,
    mode: str = "rgb",
    max_pixels: int = MAX_PIXELS,
    with_info: bool = False,
    frame: int | None = None,
    float_range: str = "warn",
    color: str = "srgb",
) -> np.ndarray | tuple[np.ndarray, ImageInfo]:
    """Read an image file as float32 in [0, 1].

    Parameters
    ----------
    path
        A file path, or the file's bytes (``bytes``, ``io.BytesIO``, an ``ipywidgets.FileUpload``
        value entry). PNG (8/16-bit, alpha, gray, palette), JPEG (EXIF orientation applied), WebP,
        TIFF (8/16-bit, 32-bit float), BMP, GIF.
    mode
        ``"rgb"``: always H×W×3 RGB (alpha dropped, gray repeated). ``"keep"``: as stored,
        H×W×1 gray, H×W×3 RGB or H×W×4 RGBA (palette and CMYK converted to RGB/RGBA).
    max_pixels
        Refuse images whose header claims more pixels than this (decompression bombs).
    with_info
        Also return an :class:`ImageInfo` (bit depth, stored mode, ICC profile, frames).
    frame
        Which frame of an animated or multi-page file to read. ``None`` reads frame 0 and warns
        when there are more.
    float_range
        Floating-point files (TIFF) with values outside [0, 1]: ``"warn"`` clips and warns,
        ``"raise"`` refuses, ``"clip"`` clips quietly, ``"keep"`` returns the raw values (HDR mode:
        such an array is not a public image; tone-map it before passing it to the kit).
    color
        ``"srgb"``: pixels with an embedded ICC profile (Adobe RGB, Display P3…) are converted to
        sRGB, the colour space every kit function assumes; ``"raw"``: returned as stored.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Empty file, not an image, too many pixels, or a bad argument.
    OSError
        Truncated or corrupt image data ("truncated or corrupt PNG …", with the byte count).

    Examples
    --------
    >>> img = read_image("photo.png")  # doctest: +SKIP
    >>> img.dtype, img.shape[2]  # doctest: +SKIP
    (dtype('float32'), 3)
    >>> import io, numpy as np
    >>> read_image(io.BytesIO(encode_png(np.zeros((2, 3, 3), np.float32)))).shape
    (2, 3, 3)
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if mode not in ("rgb", "keep"):
        raise ValueError(f"mode must be 'rgb' or 'keep', got {mode!r}")
    if float_range not in ("warn", "raise", "clip", "keep"):
        raise ValueError(f"float_range must be 'warn', 'raise', 'clip' or 'keep', got {float_range!r}")
    if color not in ("srgb", "raw"):
        raise ValueError(f"color must be 'srgb' (convert embedded ICC profiles) or 'raw', got {color!r}")
    if frame is not None and not (isinstance(frame, int | np.integer) and not isinstance(frame, bool)
                                  and frame >= 0):
        raise ValueError(f"frame must be None or a frame index ≥ 0, got {frame!r}")
    name, path_obj, data = _load_source(path)
    size = path_obj.stat().st_size if path_obj is not None else len(data or b"")
    if size == 0:
        raise ValueError(f"{name}: file is empty (0 bytes), not an image")
    if path_obj is not None:
        with path_obj.open("rb") as fh:
            head = fh.read(32)
    else:
        head = (data or b"")[:32]
    kind = _sniff(head)

    def raw_bytes() -> bytes:
        return data if data is not None else path_obj.read_bytes()  # type: ignore[union-attr]

    icc: bytes | None = None
    icc_desc: str | None = None
    value_range: tuple[float, float] | None = None
    n_frames, index = 1, 0
    try:
        with _pillow_guards(), Image.open(path_obj if path_obj is not None else _io.BytesIO(data)) as im:
            w, h = im.size
            # The header alone gives the size: refuse before any pixel buffer is allocated.
            if w * h > max_pixels:
                raise ValueError(
                    f"{name}: header claims {w} × {h} = {w * h:,} pixels, over the limit of "
                    f"{max_pixels:,}; pass max_pixels= if you really mean it"
                )
            fmt = im.format or "?"
            n_frames = int(getattr(im, "n_frames", 1) or 1)
            if frame is not None:
                if frame >= n_frames:
                    raise ValueError(f"{name}: frame={frame} but the file has {n_frames} frame(s) "
                                     f"(0…{n_frames - 1})")
                im.seek(int(frame))
                index = int(frame)
            elif n_frames > 1:
                warnings.warn(f"{name}: has {n_frames} frames ({fmt}); read frame 0 only. Pass frame=N "
                              "for another, or use upscalekit.video for a clip", RuntimeWarning, stacklevel=2)
            stored = im.mode
            depth = 16 if stored.startswith("I;16") or stored == "I" else (32 if stored == "F" else 8)
            if fmt == "PNG":
                depth = 16 if _png_bit_depth(head) == 16 else depth
            if fmt == "TIFF":
                bps = im.tag_v2.get(258, (8,))
                bps = bps if isinstance(bps, tuple) else (bps,)
                depth = 16 if max(bps) == 16 else depth
            icc = im.info.get("icc_profile") or None
            if depth == 16 and fmt in ("PNG", "TIFF") and stored not in ("I;16", "I;16B", "I") and index == 0:
                arr = _read_16bit_color(raw_bytes())
                if icc is not None and color == "srgb":
                    # lcms via Pillow converts 8-bit data only; say so rather than shift colours quietly
                    warnings.warn(f"{name}: 16-bit colour with an embedded ICC profile: read as stored, not "
                                  "converted to sRGB (only 8-bit files are colour-managed); pass "
                                  "color='raw' to silence this", RuntimeWarning, stacklevel=2)
            else:
                im.load()
                if index == 0:
                    im = ImageOps.exif_transpose(im)
                if icc is not None and color == "srgb":
                    im, icc_desc = _icc_to_srgb(im, name)
                if im.mode == "F":
                    arr, value_range = _float_range(np.asarray(im, dtype=np.float32), name, float_range)
                else:
                    arr = _pil_to_array(im)
    except UnidentifiedImageError as err:
        if kind == "TIFF":  # Pillow reads no 3-channel float TIFF: OpenCV does
            arr, stored, depth, fmt = _read_float_tiff(raw_bytes(), name), "float32", 32, "TIFF"
            arr, value_range = _float_range(arr, name, float_range) if arr.dtype.kind == "f" else (arr, None)
        elif kind is not None:
            raise OSError(
                f"{name}: truncated or corrupt {kind} file ({size:,} bytes): it starts like a {kind} but "
                f"its header or a chunk checksum is broken ({err}); re-export or re-download it"
            ) from err
        else:
            raise ValueError(f"{name}: not an image file Pillow can identify ({size:,} bytes; it does not "
                             "start like a PNG, JPEG, GIF, WebP, TIFF or BMP)") from err
    except (OSError, SyntaxError, EOFError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        if isinstance(err, PermissionError):
            raise PermissionError(f"{name}: not allowed to read this file ({err.strerror})") from err
        what = kind or "image"
        raise OSError(f"{name}: truncated or corrupt {what} file ({size:,} bytes): image data is corrupt or "
                      f"truncated: {err}") from err
    except _DecodeWarning as err:
        what = kind or "image"
        raise OSError(f"{name}: truncated or corrupt {what} file ({size:,} bytes): decoder reported damaged "
                      f"data: {err}") from err
    image = arr if arr.dtype == np.float32 else to_float(arr)
    if image.ndim == 2:
        image = image[..., None]
    info = ImageInfo(name, fmt, stored, depth, image.shape[2], n_frames, index, icc, icc_desc, value_range)
    if mode == "rgb":
        image = np.ascontiguousarray(as_rgb(image))
    return (image, info) if with_info else image


def _read_float_tiff(data: bytes, name: str) -> np.ndarray:
    import cv2

    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise OSError(f"{name}: truncated or corrupt TIFF file ({len(data):,} bytes), or a TIFF layout "
                      "neither Pillow nor OpenCV reads; convert it to a 16-bit PNG or TIFF")
    if arr.ndim == 3 and arr.shape[2] == 3:
        arr = arr[..., ::-1]
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[..., [2, 1, 0, 3]]
    if arr.dtype.kind == "f":
        return np.ascontiguousarray(arr, dtype=np.float32)
    if arr.dtype in (np.uint8, np.uint16):
        return np.ascontiguousarray(arr)
    raise ValueError(f"{name}: TIFF sample type {arr.dtype} is not supported; use 8/16-bit or 32-bit float")


def _pil_to_array(im: Any) -> np.ndarray:
    m = im.mode
    if m in ("I;16", "I;16B", "I;16L"):
        return np.asarray(im, dtype=np.uint16)
    if m == "I":
        return np.clip(np.asarray(im, dtype=np.int64), 0, 65535).astype(np.uint16)
    if m in ("1", "L"):
        return np.asarray(im.convert("L"), dtype=np.uint8)
    if m == "LA":
        return np.asarray(im.convert("RGBA"), dtype=np.uint8)
    if m == "P":
        has_alpha = "transparency" in im.info
        return np.asarray(im.convert("RGBA" if has_alpha else "RGB"), dtype=np.uint8)
    if m == "RGBA":
        return np.asarray(im, dtype=np.uint8)
    # RGB, CMYK, YCbCr, LAB…: Pillow knows the colour conversion.
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _read_16bit_color(data: bytes) -> np.ndarray:
    import cv2

    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise OSError("OpenCV could not decode the 16-bit pixel data")  # read_image adds the path
    if arr.ndim == 3 and arr.shape[2] == 3:
        arr = arr[..., ::-1]
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[..., [2, 1, 0, 3]]
    return np.ascontiguousarray(arr)


def write_image(
    path: str | os.PathLike[str],
    image: np.ndarray,
    *,
    bit_depth: int = 8,
    quality: int = 95,
    icc_profile: bytes | None = None,
) -> Path:
    """Write a float image; the format follows the extension. The write is atomic.

    Parameters
    ----------
    path
        ``.png`` (8 or 16-bit, gray/RGB/RGBA), ``.jpg``/``.jpeg``, ``.webp``, ``.tif``/``.tiff``, ``.bmp``.
    image
        H×W, H×W×1, H×W×3 or H×W×4 float image in [0, 1].
    bit_depth
        8, or 16 for PNG and TIFF.
    quality
        JPEG/WebP quality 1–100.
    icc_profile
        Write in this colour space: the (sRGB) pixels are converted to the profile and the profile is
        embedded, e.g. ``info.icc_profile`` from :func:`read_image` to write an Adobe RGB photo back
        as Adobe RGB. 8-bit PNG, JPEG, WebP and TIFF. Default: plain sRGB, no profile.

    Examples
    --------
    >>> import numpy as np
    >>> write_image("out.png", np.zeros((4, 4, 3), np.float32))  # doctest: +SKIP
    """
    import cv2
    from PIL import Image

    image = check_image(image)
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"{path}: unknown image extension {path.suffix!r}; use one of {sorted(_FORMATS)}"
        )
    if bit_depth == 16 and fmt not in ("PNG", "TIFF"):
        raise ValueError(f"{path}: 16-bit output needs .png or .tif, not {path.suffix}")
    if icc_profile is not None and (bit_depth != 8 or fmt == "BMP"):
        raise ValueError(f"{path}: icc_profile= is written with 8-bit PNG, JPEG, WebP or TIFF only "
                         f"(got bit_depth={bit_depth}, {fmt})")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        if bit_depth == 16:
            arr = to_uint(image, 16)
            if arr.ndim == 3:
                arr = arr[..., [2, 1, 0, 3][: arr.shape[2]]] if arr.shape[2] == 4 else arr[..., ::-1]
            if not cv2.imwrite(tmp, np.ascontiguousarray(arr)):
                raise OSError(f"{path}: OpenCV failed to write a 16-bit {fmt}")
        else:
            arr = to_uint(image, 8)
            if fmt == "JPEG" and arr.ndim == 3 and arr.shape[2] == 4:
                raise ValueError(f"{path}: JPEG has no alpha channel; drop it (image[..., :3]) or use .png")
            pil = Image.fromarray(arr)
            kwargs: dict[str, Any] = {"quality": int(quality)} if fmt in ("JPEG", "WEBP") else {}
            if icc_profile is not None:
                pil = _srgb_to_icc(pil, icc_profile, path)
                kwargs["icc_profile"] = bytes(icc_profile)
            pil.save(tmp, format=fmt, **kwargs)
        # mkstemp creates the file 0600; give the result the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _srgb_to_icc(pil: Any, icc_profile: bytes, path: Path) -> Any:
    from PIL import ImageCms

    if pil.mode not in ("RGB", "RGBA"):
        return pil  # gray: levels are written as they are, with the profile attached
    try:
        dst = ImageCms.ImageCmsProfile(_io.BytesIO(bytes(icc_profile)))
        return ImageCms.profileToProfile(pil, ImageCms.createProfile("sRGB"), dst, outputMode=pil.mode)
    except (OSError, ImageCms.PyCMSError) as err:
        raise ValueError(f"{path}: icc_profile= is not a usable RGB ICC profile ({err})") from err


def encode_png(image: np.ndarray, *, compress_level: int = 1) -> bytes:
    """Encode a float image as 8-bit PNG file bytes in memory (what an ``ipywidgets.Image`` shows).

    Lossless on purpose: a kit about upscaling artifacts must not add JPEG artifacts of its own.
    ``compress_level=1`` because a widget redraw is encoded once and shown once: speed beats size.

    Examples
    --------
    >>> import numpy as np
    >>> encode_png(np.zeros((2, 2, 3), np.float32))[:4]
    b'\\x89PNG'
    """
    import io as _io

    from PIL import Image

    arr = to_uint(image, 8)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    buf = _io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr)).save(buf, format="PNG", compress_level=int(compress_level))
    return buf.getvalue()


def jpeg_roundtrip(image: np.ndarray, quality: int, *, subsampling: str = "4:2:0") -> np.ndarray:
    """Encode with the real JPEG codec (libjpeg via Pillow) in memory and decode again.

    Parameters
    ----------
    image
        H×W×3 float image in [0, 1].
    quality
        1–100, as in every image editor.
    subsampling
        Chroma subsampling: ``"4:4:4"``, ``"4:2:2"`` or ``"4:2:0"``.

    Examples
    --------
    >>> import numpy as np
    >>> jpeg_roundtrip(np.full((16, 16, 3), 0.5, np.float32), 50).shape
    (16, 16, 3)
    """
    import io as _io

    from PIL import Image

    image = check_image(image, allow_gray=False)[..., :3]
    if not 1 <= int(quality) <= 100:
        raise ValueError(f"JPEG quality must be in 1..100, got {quality}")
    codes = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}
    if subsampling not in codes:
        raise ValueError(f"subsampling must be one of {list(codes)}, got {subsampling!r}")
    buf = _io.BytesIO()
    Image.fromarray(to_uint(image, 8)).save(
        buf, format="JPEG", quality=int(quality), subsampling=codes[subsampling]
    )
    buf.seek(0)
    with Image.open(buf) as im:
        return to_float(np.asarray(im.convert("RGB")))


def to_tensor(
    image: np.ndarray | list[np.ndarray],
    *,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """HWC float image (or a list of same-sized images) → NCHW torch tensor.

    Examples
    --------
    >>> import numpy as np
    >>> to_tensor(np.zeros((4, 5, 3), np.float32)).shape
    torch.Size([1, 3, 4, 5])
    """
    import torch

    images = image if isinstance(image, list) else [image]
    arrs = []
    for i, im in enumerate(images):
        im = check_image(im, f"image[{i}]" if isinstance(image, list) else "image")
        arrs.append(im[..., None] if im.ndim == 2 else im)
    if len({a.shape for a in arrs}) > 1:
        raise ValueError(f"images in a batch must share a shape, got {sorted({a.shape for a in arrs})}")
    batch = np.stack(arrs).transpose(0, 3, 1, 2)
    t = torch.from_numpy(np.ascontiguousarray(batch))
    return t.to(device=device or "cpu", dtype=dtype or torch.float32)


def from_tensor(tensor: torch.Tensor, *, clip: bool = True) -> np.ndarray | list[np.ndarray]:
    """NCHW (or CHW) tensor → HWC float32 image; a batch of N > 1 gives a list.

    Examples
    --------
    >>> import torch
    >>> from_tensor(torch.zeros(1, 3, 4, 5)).shape
    (4, 5, 3)
    """
    t = tensor.detach()
    if t.ndim == 3:
        t = t[None]
    if t.ndim != 4:
        raise ValueError(f"expected an NCHW or CHW tensor, got shape {tuple(t.shape)}")
    arr = t.float().cpu().numpy().transpose(0, 2, 3, 1)
    if clip:
        arr = np.clip(arr, 0.0, 1.0)
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    return arr[0] if arr.shape[0] == 1 else list(arr)

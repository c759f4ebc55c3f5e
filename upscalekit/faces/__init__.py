"""Faces: detection with landmarks, FFHQ alignment, restoration with a fidelity dial, invention measures.

Submodules: :mod:`~upscalekit.faces.detect` (RetinaFace via onnxruntime), :mod:`~upscalekit.faces.align`
(template, paste-back, colour match), :mod:`~upscalekit.faces.restore` (GFPGAN/RestoreFormer through
spandrel, any callable restorer), :mod:`~upscalekit.faces.measure` (identity drift, plastic skin),
:mod:`~upscalekit.faces.widgets` (fidelity slider). Importing this package loads no model.
"""

from upscalekit.faces.align import (
    FFHQ_TEMPLATE_512,
    AlignedFace,
    align_face,
    color_match,
    face_mask,
    paste_back,
    similarity_transform,
)
from upscalekit.faces.detect import Face, detect_faces
from upscalekit.faces.identity import DLIB_MODELS, SAME_PERSON_THRESHOLD, face_embedding, identity_distance
from upscalekit.faces.measure import (
    FaceInvention,
    face_invention,
    landmark_displacement,
    plot_face_invention,
    plot_faces,
    skin_mask,
    texture_energy,
)
from upscalekit.faces.restore import (
    FACE_MODELS,
    FaceRestorer,
    RestoredFace,
    compose_faces,
    load_face_restorer,
    pipeline_orders,
    prepare_faces,
    restore_faces,
)
from upscalekit.faces.widgets import FidelitySlider

__all__ = [
    "DLIB_MODELS",
    "FACE_MODELS",
    "SAME_PERSON_THRESHOLD",
    "FFHQ_TEMPLATE_512",
    "AlignedFace",
    "Face",
    "FaceInvention",
    "FaceRestorer",
    "FidelitySlider",
    "RestoredFace",
    "align_face",
    "color_match",
    "compose_faces",
    "detect_faces",
    "face_embedding",
    "face_invention",
    "face_mask",
    "identity_distance",
    "landmark_displacement",
    "load_face_restorer",
    "paste_back",
    "pipeline_orders",
    "plot_face_invention",
    "plot_faces",
    "prepare_faces",
    "restore_faces",
    "similarity_transform",
    "skin_mask",
    "texture_energy",
]

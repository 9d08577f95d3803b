"""Bonn Multi-Person PoseTrack (Iqbal, Milan, Gall, CVPR 2017) ``annolist.mat`` -> PoseTrack18-style
videos.

``annolist[v]`` has ``name``, ``num_frames``, ``num_persons`` and ``annopoints`` of shape
``(num_persons, num_frames)``: each entry is empty (person absent) or has ``point[]`` (``id`` =
MPII joint id, ``x``, ``y``, ``is_visible``, ``is_truncated``) and ``head_rect``
``[x1, y1, x2, y2]`` (often empty). The person row is the track id. Joints are mapped to the
output layout *by name* (MPII names -> the metainfo's keypoint names, MPII ``upper_neck`` =
``head_bottom``).

Visibility flags follow COCO: 2 = annotated and visible, 1 = annotated but occluded, 0 = not
annotated (loaders use ``min(1, v)`` as "labeled"). Person boxes are not in the file: they are
the box around the annotated joints and the head box, grown by ``bbox_margin`` of its size on
each side.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from .posetrack_json import FrameAnnotation, VideoAnnotation, PoseTrackFormatError

# MPII joint ids 0..15 by name (upper_neck is PoseTrack's head_bottom)
MPII_JOINT_NAMES = (
    'right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee', 'left_ankle', 'pelvis',
    'thorax', 'head_bottom', 'head_top', 'right_wrist', 'right_elbow', 'right_shoulder',
    'left_shoulder', 'left_elbow', 'left_wrist')


def _as_list(x) -> list:
    """MATLAB struct arrays squeezed by scipy: a single struct, an array of them, or empty."""
    if isinstance(x, np.ndarray):
        return list(x.ravel())
    return [x]


def _scalar(x, where: str) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        raise PoseTrackFormatError(f'{where}: expected a number, got {x!r}') from None


def convert_annolist(annolist: Sequence, keypoint_names: Sequence[str], split: str = 'train',
                     image_template: str = 'images/{split}/{video}/{frame:06d}.jpg',
                     bbox_margin: float = 0.1, source: str = 'annolist') -> List[VideoAnnotation]:
    """Convert loaded ``annolist`` structs into :class:`VideoAnnotation` objects.

    Args:
        annolist: ``loadmat(..., struct_as_record=False, squeeze_me=True)['annolist']``.
        keypoint_names: Output layout (e.g. from ``configs/_base_/datasets/bonn_posetrack.py``);
            every name must be an MPII joint name.
        split: Split name used in file names.
        image_template: Frame path pattern (``split``, ``video``, ``frame`` 0-based); the .mat
            file has no image names.
        bbox_margin: Fraction of the joint box size added on each side.
        source: Where ``annolist`` came from (for error messages).

    Returns:
        One video per entry; every frame is labeled; ``keypoint_scores`` hold 0/1/2 flags.
    """
    unknown = [n for n in keypoint_names if n not in MPII_JOINT_NAMES]
    if unknown:
        raise ValueError(f'convert_annolist: keypoints {unknown} are not MPII joints')
    k = len(keypoint_names)
    mpii_to_out = np.full(len(MPII_JOINT_NAMES), -1, np.int64)
    for i, name in enumerate(keypoint_names):
        mpii_to_out[MPII_JOINT_NAMES.index(name)] = i
    videos = []
    for vi, entry in enumerate(_as_list(annolist)):
        where = f'{source}[{vi}]'
        for field in ('name', 'num_frames', 'num_persons', 'annopoints'):
            if not hasattr(entry, field):
                raise PoseTrackFormatError(f'{where}: missing field {field!r}')
        name = str(entry.name)
        n_frames, n_persons = int(entry.num_frames), int(entry.num_persons)
        ap = np.asarray(entry.annopoints, dtype=object)
        if ap.size != n_frames * n_persons:
            raise PoseTrackFormatError(f'{where} ({name}): annopoints has {ap.size} entries, '
                                       f'expected num_persons x num_frames = {n_persons} x '
                                       f'{n_frames}')
        ap = ap.reshape(n_persons, n_frames)
        vid_num = int(name) if name.isdigit() else vi
        frames = []
        for f in range(n_frames):
            kpts, flags, heads, tids = [], [], [], []
            for p in range(n_persons):
                e = ap[p, f]
                if not hasattr(e, 'point'):
                    continue
                xy = np.zeros((k, 2), np.float32)
                v = np.zeros(k, np.float32)
                for q in _as_list(e.point):
                    jid = int(_scalar(q.id, f'{where} ({name}) person {p} frame {f}: point.id'))
                    if not 0 <= jid < len(MPII_JOINT_NAMES):
                        raise PoseTrackFormatError(f'{where} ({name}) person {p} frame {f}: '
                                                   f'joint id {jid} is not an MPII id 0-15')
                    out = mpii_to_out[jid]
                    if out < 0:
                        continue
                    xy[out] = (_scalar(q.x, f'{where}: point.x'),
                               _scalar(q.y, f'{where}: point.y'))
                    vis = getattr(q, 'is_visible', 1)
                    if isinstance(vis, np.ndarray):  # empty or 1-element MATLAB array
                        vis = vis.ravel()[0] if vis.size else 1
                    v[out] = 1.0 if int(vis) == 0 else 2.0
                head = np.asarray(getattr(e, 'head_rect', []), np.float32).ravel()
                heads.append(head if head.size == 4 else np.full(4, np.nan, np.float32))
                kpts.append(xy)
                flags.append(v)
                tids.append(p)
            n = len(kpts)
            kpts_a = np.stack(kpts) if n else np.zeros((0, k, 2), np.float32)
            flags_a = np.stack(flags) if n else np.zeros((0, k), np.float32)
            heads_a = np.stack(heads) if n else np.zeros((0, 4), np.float32)
            boxes = _boxes_from_joints(kpts_a, flags_a > 0, heads_a, bbox_margin)
            image_id = 10_000_000_000 + vid_num * 10_000 + f
            frames.append(FrameAnnotation(
                image_id=image_id,
                file_name=image_template.format(split=split, video=name, frame=f),
                frame_index=f, is_labeled=True, keypoints=kpts_a, keypoint_scores=flags_a,
                track_ids=np.array(tids, np.int64), bboxes=boxes, head_bboxes=heads_a,
                extra=dict(frame_id=image_id, vid_id=f'{vid_num:06d}', nframes=n_frames)))
        videos.append(VideoAnnotation(name=name, frames=frames))
    return videos


def _boxes_from_joints(kpts: np.ndarray, valid: np.ndarray, heads: np.ndarray,
                       margin: float) -> np.ndarray:
    """``xyxy`` boxes around valid joints and head boxes, grown by ``margin`` per side."""
    if len(kpts) == 0:
        return np.zeros((0, 4), np.float32)
    big = np.float32(1e9)
    x = np.where(valid, kpts[..., 0], np.nan)
    y = np.where(valid, kpts[..., 1], np.nan)
    hx = heads[:, [0, 2]]
    hy = heads[:, [1, 3]]
    allx = np.concatenate([x, hx], 1)
    ally = np.concatenate([y, hy], 1)
    with np.errstate(all='ignore'):
        x1, x2 = np.nanmin(np.where(np.isnan(allx), big, allx), 1), \
            np.nanmax(np.where(np.isnan(allx), -big, allx), 1)
        y1, y2 = np.nanmin(np.where(np.isnan(ally), big, ally), 1), \
            np.nanmax(np.where(np.isnan(ally), -big, ally), 1)
    empty = x1 > x2
    w, h = x2 - x1, y2 - y1
    boxes = np.stack([x1 - margin * w, y1 - margin * h, x2 + margin * w, y2 + margin * h], 1)
    boxes[empty] = np.nan
    return boxes.astype(np.float32)


def load_bonn_annolist(mat_path: Union[str, Path], keypoint_names: Sequence[str],
                       split: str = 'train', **kwargs) -> List[VideoAnnotation]:
    """Read ``annolist.mat`` and convert it (see :func:`convert_annolist`)."""
    from scipy.io import loadmat
    mat_path = Path(mat_path)
    if not mat_path.is_file():
        raise FileNotFoundError(f'Bonn PoseTrack annotation file not found: {mat_path}')
    with open(mat_path, 'rb') as f:
        magic = f.read(128)
    # MATLAB 5/7 files start with a text header "MATLAB 5.0 MAT-file"; v7.3 files are HDF5
    if not (magic.startswith(b'MATLAB') or magic.startswith(b'\x89HDF')
            or mat_path.suffix.lower() == '.mat' and len(magic) >= 128):
        kind = 'JSON' if magic.lstrip()[:1] in (b'{', b'[') else f'a {mat_path.suffix or "?"} file'
        raise PoseTrackFormatError(
            f'{mat_path}: not a MATLAB .mat file (it looks like {kind}); the Bonn converter '
            'reads the dataset\'s annolist.mat (e.g. ../shared/data/bonn_posetrack/train/'
            'annolist.mat)')
    if magic.startswith(b'\x89HDF'):
        raise PoseTrackFormatError(f'{mat_path}: a MATLAB v7.3 (HDF5) .mat file, which scipy '
                                   'cannot read; save it in MATLAB with save(..., \'-v7\')')
    try:
        data = loadmat(str(mat_path), struct_as_record=False, squeeze_me=True)
    except Exception as e:  # scipy raises ValueError / MatReadError / struct errors
        raise PoseTrackFormatError(f'{mat_path}: not a readable MATLAB .mat file '
                                   f'({type(e).__name__}: {e})') from None
    if 'annolist' not in data:
        raise PoseTrackFormatError(f'{mat_path}: no variable \'annolist\' '
                                   f'(found {sorted(k for k in data if not k.startswith("__"))})')
    return convert_annolist(data['annolist'], keypoint_names, split=split, source=str(mat_path),
                            **kwargs)


def bonn_categories(keypoint_names: Sequence[str], skeleton_links: Sequence[Sequence[int]]
                    ) -> List[Dict]:
    """``categories`` entry for the converted files (1-based skeleton like PoseTrack18)."""
    return [dict(supercategory='person', id=1, name='person', keypoints=list(keypoint_names),
                 skeleton=[[int(a) + 1, int(b) + 1] for a, b in skeleton_links])]


def read_layout(metainfo_file: Union[str, Path]) -> tuple:
    """Keypoint names (by id) and skeleton links (index pairs) of an mmpose ``dataset_info``
    file, read with mmengine's ``Config`` (no torch/mmpose import, so the converter starts fast).
    """
    from mmengine.config import Config
    info = Config.fromfile(str(metainfo_file)).dataset_info
    kinfo = info['keypoint_info']
    names = [kinfo[i]['name'] for i in sorted(kinfo)]
    index = {n: i for i, n in enumerate(names)}
    links = [(index[s['link'][0]], index[s['link'][1]])
             for _, s in sorted(info.get('skeleton_info', {}).items())]
    return names, links


def convert_bonn_posetrack(mat_path: Union[str, Path], out_dir: Optional[Union[str, Path]],
                           metainfo_file: Union[str, Path], split: str = 'train',
                           **kwargs) -> List[VideoAnnotation]:
    """Convert ``annolist.mat`` and write ``{out_dir}/{video}.json`` per video.

    Args:
        mat_path: The ``annolist.mat`` file.
        out_dir: Output folder (``None``: convert only).
        metainfo_file: mmpose ``dataset_info`` config giving the output layout.
        split: Split name for the frame paths.
        **kwargs: Passed to :func:`convert_annolist`.

    Returns:
        The converted videos.
    """
    from .posetrack_json import dump_posetrack_video
    names, links = read_layout(metainfo_file)
    videos = load_bonn_annolist(mat_path, names, split=split, **kwargs)
    cats = bonn_categories(names, links)
    for v in videos:
        v.categories = cats
        if out_dir is not None:
            dump_posetrack_video(v, Path(out_dir) / f'{v.name}.json')
    return videos

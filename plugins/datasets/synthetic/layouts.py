"""Synthetic data written in the folder layouts of the public datasets the paper configs read.

The paper configs (``projects/*/configs/*_coco-*``, ``*_posetrack18-*``, MPII) point at
``data/coco/``, ``data/posetrack18/`` and ``data/mpii/`` laid out as OpenMMLab expects them.
These writers render synthetic people (:mod:`plugins.datasets.synthetic.video`) into the same
files and folders, so a config runs unchanged on them with only ``data_root`` (and the paths
derived from it) pointed elsewhere:

``coco`` (mmpose's / mmdet's COCO configs)::

    annotations/person_keypoints_{train,val}2017.json   COCO keypoints (17 COCO joints, v 0/2,
                                                        crowd regions as iscrowd=1 boxes)
    train2017/{id:012d}.jpg   val2017/{id:012d}.jpg
    person_detection_results/COCO_val2017_detections_AP_H_56_person.json   detection results
    person_detection_results/COCO_train2017_detections_simulated.json      (of train2017)

``posetrack18`` (mmpose's PoseTrack18 configs and the official per-video files)::

    images/{train,val}/{video}/{frame:06d}.jpg
    annotations/{train,val}/{video}.json     per-video files: ignore regions, head boxes,
                                             track ids; val frames labeled every
                                             ``val_label_every``-th frame as in PoseTrack18
    annotations/posetrack18_{train,val}.json the split's videos merged (COCO style)
    annotations/posetrack18_val_human_detections.json   detection results

``mpii`` (mmpose's MPII configs)::

    images/{name}.jpg
    annotations/mpii_{train,val}.json   one entry per person: joints (16 MPII joints), joints_vis,
                                        center (1-based pixels), scale (height / 200 px)
    annotations/mpii_gt_val.mat         headboxes_src (2, 2, N), jnt_missing, pos_gt_src
    person_detection_results/mpii_val_detections.json   detection results (image_id = the
                                        integer stem of the image name, as mmpose's MPII ids)

``synthetic`` is the project's own layout (:func:`plugins.datasets.synthetic.writer.write_split`).

Detection results files are simulated from the ground truth (boxes jittered by a few percent,
scores in [0.6, 1], plus low-scoring false positives), in the COCO results format
(``image_id``, ``category_id`` 1, ``bbox`` ``xywh``, ``score``).
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..posetrack_json import (POSETRACK18_KEYPOINT_NAMES, POSETRACK18_SKELETON,
                              FrameAnnotation, VideoAnnotation, dump_posetrack_video,
                              video_to_json)
from .video import SyntheticVideo, SyntheticVideoConfig, render_video_annotations
from .writer import (SPLIT_CODES, SyntheticVideoNaming, categories_for, merge_video_jsons,
                     write_split)

LAYOUTS = ('synthetic', 'coco', 'posetrack18', 'mpii')

COCO_KEYPOINT_NAMES: List[str] = [
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder',
    'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
    'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle'
]
# 1-based limbs of the COCO ``person`` category (the same list as PoseTrack18's)
COCO_SKELETON: List[List[int]] = [list(s) for s in POSETRACK18_SKELETON]
MPII_KEYPOINT_NAMES: List[str] = [
    'right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee', 'left_ankle', 'pelvis',
    'thorax', 'upper_neck', 'head_top', 'right_wrist', 'right_elbow', 'right_shoulder',
    'left_shoulder', 'left_elbow', 'left_wrist'
]

COCO_DET_FILE = 'person_detection_results/COCO_val2017_detections_AP_H_56_person.json'
#: simulated detections of train2017 (what a detector run over the training images gives, e.g.
#: the input of RMPE's DPG fitting, tools/analysis/fit_dpg.py --detections)
COCO_TRAIN_DET_FILE = 'person_detection_results/COCO_train2017_detections_simulated.json'
POSETRACK18_DET_FILE = 'annotations/posetrack18_val_human_detections.json'
MPII_DET_FILE = 'person_detection_results/mpii_val_detections.json'


@dataclass
class _RenderTask(SyntheticVideoNaming):
    """One synthetic video to render in a worker (the frames come back JPEG-encoded)."""

    split: str
    index: int
    seed: int
    cfg: SyntheticVideoConfig
    keypoint_names: Sequence[str]
    jpeg_quality: int = 90


def _render(task: _RenderTask) -> Tuple[str, int, List[Tuple[bytes, FrameAnnotation]]]:
    """Render one video: ``(name, vid_num, [(jpeg bytes, frame annotation), ...])``.

    Video ``i`` of a split depends only on ``(seed, split, i)`` (the same draw as
    :func:`~plugins.datasets.synthetic.writer.write_split`).
    """
    rng = np.random.default_rng([task.seed, SPLIT_CODES[task.split], task.index])
    video = SyntheticVideo(task.cfg, rng, task.keypoint_names)
    params = [cv2.IMWRITE_JPEG_QUALITY, int(task.jpeg_quality)]
    frames = []
    for img, frame in render_video_annotations(video, task.name, task.vid_num, task.split):
        ok, buf = cv2.imencode('.jpg', img, params)
        if not ok:
            raise OSError(f'could not encode frame {frame.file_name}')
        frames.append((buf.tobytes(), frame))
    return task.name, task.vid_num, frames


def _render_split(split: str, num_videos: int, cfg: SyntheticVideoConfig, seed: int,
                  keypoint_names: Sequence[str], workers: int,
                  jpeg_quality: int) -> List[Tuple[str, int, list]]:
    tasks = [_RenderTask(split, i, seed, cfg, list(keypoint_names), jpeg_quality)
             for i in range(num_videos)]
    workers = max(1, min(int(workers), num_videos))
    if workers == 1:
        return [_render(t) for t in tasks]
    with mp.get_context('fork').Pool(workers) as pool:
        return pool.map(_render, tasks, chunksize=1)


def _split_cfg(cfg: SyntheticVideoConfig, split: str,
               val_num_frames: Optional[int]) -> SyntheticVideoConfig:
    """The video parameters of a split (validation videos may be shorter)."""
    if split == 'val' and val_num_frames:
        return replace(cfg, num_frames=int(val_num_frames))
    return cfg


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + '.tmp')
    with open(tmp, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
    os.replace(tmp, path)


def simulated_detections(images: Sequence[Tuple[int, int, int]],
                         boxes: Dict[int, np.ndarray], seed: int,
                         jitter: float = 0.05, false_positive_rate: float = 0.5) -> List[dict]:
    """Person detection results simulated from ground-truth boxes (COCO results format).

    Args:
        images: ``(image_id, width, height)`` of every image to write detections for.
        boxes: ``image_id -> (N, 4)`` ground-truth ``xyxy`` boxes (pixels).
        seed: Random seed.
        jitter: Standard deviation of each box side's shift, as a fraction of its size.
        false_positive_rate: Expected false positives per image (score below 0.4).

    Returns:
        ``[dict(image_id, category_id=1, bbox=[x, y, w, h], score)]``, boxes clipped to the image.
    """
    rng = np.random.default_rng(seed)
    dets = []
    for image_id, w, h in images:
        gt = np.asarray(boxes.get(image_id, np.zeros((0, 4))), np.float64).reshape(-1, 4)
        size = np.stack([gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]], 1)
        out = gt + rng.normal(0, jitter, gt.shape) * np.tile(size, 2)
        scores = rng.uniform(0.6, 1.0, len(gt))
        n_fp = rng.poisson(false_positive_rate)
        if n_fp:
            fw = rng.uniform(0.1, 0.3, n_fp) * w
            fh = rng.uniform(0.2, 0.5, n_fp) * h
            fx, fy = rng.uniform(0, 1, n_fp) * (w - fw), rng.uniform(0, 1, n_fp) * (h - fh)
            out = np.concatenate([out, np.stack([fx, fy, fx + fw, fy + fh], 1)])
            scores = np.concatenate([scores, rng.uniform(0.05, 0.4, n_fp)])
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, w - 1)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, h - 1)
        for b, s in zip(out, scores):
            if b[2] - b[0] < 2 or b[3] - b[1] < 2:
                continue
            dets.append(dict(image_id=int(image_id), category_id=1,
                             bbox=[round(float(b[0]), 2), round(float(b[1]), 2),
                                   round(float(b[2] - b[0]), 2), round(float(b[3] - b[1]), 2)],
                             score=round(float(s), 4)))
    return dets


# ---------------------------------------------------------------------------------------- COCO
def _coco_split(out: Path, split: str, rendered, start_id: int) -> Tuple[dict, list, dict]:
    """Write the images of one COCO split; returns (annotation file object, images, boxes)."""
    folder = f'{split}2017'
    images, annotations, boxes, info = [], [], {}, []
    ann_id = start_id * 100
    image_id = start_id
    for _, _, frames in rendered:
        for data, frame in frames:
            image_id += 1
            file_name = f'{image_id:012d}.jpg'
            _write_bytes(out / folder / file_name, data)
            images.append(dict(id=image_id, file_name=file_name, width=int(frame.width),
                               height=int(frame.height)))
            info.append((image_id, int(frame.width), int(frame.height)))
            boxes[image_id] = frame.bboxes
            for j in range(frame.num_persons):
                vis = frame.keypoint_scores[j] > 0
                kpts = np.concatenate([np.where(vis[:, None], frame.keypoints[j], 0),
                                       (2 * vis)[:, None]], 1)
                x1, y1, x2, y2 = (float(v) for v in frame.bboxes[j])
                ann_id += 1
                annotations.append(dict(
                    id=ann_id, image_id=image_id, category_id=1, iscrowd=0,
                    keypoints=[round(float(v), 2) for v in kpts.reshape(-1)],
                    num_keypoints=int(vis.sum()),
                    bbox=[round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)],
                    area=round((x2 - x1) * (y2 - y1), 2),
                    segmentation=[[x1, y1, x2, y1, x2, y2, x1, y2]]))
            for poly in frame.ignore_regions:  # a crowd: COCO marks it iscrowd=1
                x1, y1 = (float(v) for v in poly.min(0))
                x2, y2 = (float(v) for v in poly.max(0))
                ann_id += 1
                annotations.append(dict(
                    id=ann_id, image_id=image_id, category_id=1, iscrowd=1,
                    keypoints=[0] * (3 * len(COCO_KEYPOINT_NAMES)), num_keypoints=0,
                    bbox=[round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)],
                    area=round((x2 - x1) * (y2 - y1), 2),
                    segmentation=[[float(v) for v in poly.reshape(-1)]]))
    obj = dict(info=dict(description=f'synthetic people, COCO layout ({split})'),
               images=images, annotations=annotations,
               categories=categories_for(COCO_KEYPOINT_NAMES, COCO_SKELETON))
    return obj, info, boxes


def write_coco_layout(out_dir, train_videos: int, val_videos: int, cfg: SyntheticVideoConfig,
                      seed: int = 0, workers: int = 1, jpeg_quality: int = 90,
                      val_num_frames: Optional[int] = None) -> Dict[str, int]:
    """Write synthetic frames as a COCO keypoints dataset (see the module docstring).

    Every frame of the rendered videos is one COCO image (ids unique across splits).

    Returns:
        Counts: ``train_images``, ``val_images``, ``persons``, ``detections``.
    """
    out = Path(out_dir)
    counts = dict(persons=0)
    for split, n in (('train', train_videos), ('val', val_videos)):
        rendered = _render_split(split, n, _split_cfg(cfg, split, val_num_frames), seed,
                                 COCO_KEYPOINT_NAMES, workers, jpeg_quality)
        obj, info, boxes = _coco_split(out, split, rendered, SPLIT_CODES[split] * 1_000_000)
        _write_json(out / 'annotations' / f'person_keypoints_{split}2017.json', obj)
        counts[f'{split}_images'] = len(obj['images'])
        counts['persons'] += sum(1 for a in obj['annotations'] if not a['iscrowd'])
        if split == 'val':
            dets = simulated_detections(info, boxes, seed + 1)
            _write_json(out / COCO_DET_FILE, dets)
            counts['detections'] = len(dets)
        else:
            _write_json(out / COCO_TRAIN_DET_FILE, simulated_detections(info, boxes, seed + 2))
    return counts


# --------------------------------------------------------------------------------- PoseTrack18
def _unlabel(frame: FrameAnnotation) -> FrameAnnotation:
    """The frame without annotations (``is_labeled`` False, nobody, no ignore regions)."""
    return FrameAnnotation.empty(frame.image_id, frame.file_name, frame.frame_index,
                                 frame.keypoints.shape[1], is_labeled=False,
                                 width=frame.width, height=frame.height,
                                 extra=dict(frame.extra))


def write_posetrack18_layout(out_dir, train_videos: int, val_videos: int,
                             cfg: SyntheticVideoConfig, seed: int = 0, workers: int = 1,
                             jpeg_quality: int = 90, val_label_every: int = 1,
                             train_label_every: int = 1,
                             val_num_frames: Optional[int] = None) -> Dict[str, int]:
    """Write synthetic videos as a PoseTrack18 dataset (see the module docstring).

    Args:
        out_dir: Dataset root (``data/posetrack18`` of the configs).
        train_videos, val_videos: Videos per split.
        cfg: Video parameters.
        seed: Dataset seed.
        workers: Rendering processes.
        jpeg_quality: JPEG quality.
        val_label_every, train_label_every: Only frames ``t % every == 0`` are labeled (the
            others are listed with ``is_labeled`` False and no persons, as PoseTrack18's
            validation videos are).

    Returns:
        Counts: ``{split}_videos``, ``{split}_frames``, ``{split}_labeled``, ``persons``,
        ``detections``.
    """
    out = Path(out_dir)
    counts = dict(persons=0)
    for split, n, every in (('train', train_videos, train_label_every),
                            ('val', val_videos, val_label_every)):
        if every < 1:
            raise ValueError(f'write_posetrack18_layout: {split}_label_every must be >= 1, '
                             f'got {every}')
        rendered = _render_split(split, n, _split_cfg(cfg, split, val_num_frames), seed,
                                 POSETRACK18_KEYPOINT_NAMES, workers, jpeg_quality)
        videos, info, boxes = [], [], {}
        labeled = 0
        for name, _, frames in rendered:
            kept = []
            for data, frame in frames:
                _write_bytes(out / frame.file_name, data)
                if frame.frame_index % every:
                    frame = _unlabel(frame)
                else:
                    labeled += 1
                    counts['persons'] += frame.num_persons
                kept.append(frame)
                info.append((int(frame.image_id), int(frame.width), int(frame.height)))
                boxes[int(frame.image_id)] = frame.bboxes
            video = VideoAnnotation(name=name, frames=kept, categories=categories_for(
                POSETRACK18_KEYPOINT_NAMES, POSETRACK18_SKELETON))
            dump_posetrack_video(video, out / 'annotations' / split / f'{name}.json')
            videos.append(video_to_json(video))
        if videos:
            _write_json(out / 'annotations' / f'posetrack18_{split}.json',
                        merge_video_jsons(videos))
        counts[f'{split}_videos'] = len(videos)
        counts[f'{split}_frames'] = len(info)
        counts[f'{split}_labeled'] = labeled
        if split == 'val':
            # detections of labeled frames only: the unlabeled ones have no ground truth boxes
            # to simulate from (a real detector file covers them too; top-down evaluation
            # only reads labeled frames)
            labeled_ids = {i for f in videos for i in
                           (im['id'] for im in f['images'] if im['is_labeled'])}
            dets = simulated_detections([t for t in info if t[0] in labeled_ids], boxes,
                                        seed + 1)
            _write_json(out / POSETRACK18_DET_FILE, dets)
            counts['detections'] = len(dets)
    return counts


# ---------------------------------------------------------------------------------------- MPII
def _mpii_entries(out: Path, rendered, start: int) -> Tuple[list, list, list, dict]:
    entries, heads, info, boxes = [], [], [], {}
    index = start
    for _, _, frames in rendered:
        for data, frame in frames:
            index += 1
            image = f'{index:09d}.jpg'
            _write_bytes(out / 'images' / image, data)
            info.append((index, int(frame.width), int(frame.height)))
            boxes[index] = frame.bboxes
            for j in range(frame.num_persons):
                vis = frame.keypoint_scores[j] > 0
                box = frame.bboxes[j]
                centre = (box[:2] + box[2:]) / 2
                # mmpose's MPII files: joints in 0-based pixels, centre 1-based (MATLAB; the
                # loader subtracts 1 from the centre only)
                joints = frame.keypoints[j]
                entries.append(dict(
                    joints_vis=[int(v) for v in vis],
                    joints=[[round(float(x), 3), round(float(y), 3)] for x, y in joints],
                    image=image,
                    # MPII's scale: person height / 200 px, centre in 1-based pixels
                    scale=round(float(box[3] - box[1]) / 200.0, 6),
                    center=[round(float(centre[0]) + 1, 3), round(float(centre[1]) + 1, 3)]))
                heads.append(frame.head_bboxes[j])
    return entries, heads, info, boxes


def write_mpii_layout(out_dir, train_videos: int, val_videos: int, cfg: SyntheticVideoConfig,
                      seed: int = 0, workers: int = 1, jpeg_quality: int = 90,
                      val_num_frames: Optional[int] = None) -> Dict[str, int]:
    """Write synthetic frames as an MPII single-person dataset in mmpose's layout.

    Returns:
        Counts: ``train_persons``, ``val_persons``, ``images``, ``detections``.
    """
    from scipy.io import savemat
    out = Path(out_dir)
    counts = dict(images=0)
    for split, n in (('train', train_videos), ('val', val_videos)):
        rendered = _render_split(split, n, _split_cfg(cfg, split, val_num_frames), seed,
                                 MPII_KEYPOINT_NAMES, workers, jpeg_quality)
        entries, heads, info, boxes = _mpii_entries(out, rendered,
                                                    SPLIT_CODES[split] * 10_000_000)
        _write_json(out / 'annotations' / f'mpii_{split}.json', entries)
        counts[f'{split}_persons'] = len(entries)
        counts['images'] += len({e['image'] for e in entries})
        if split == 'val':
            write_mpii_gt_mat(out / 'annotations' / 'mpii_gt_val.mat', entries,
                              np.asarray(heads, np.float64).reshape(-1, 4), savemat)
            dets = simulated_detections(info, boxes, seed + 1)
            _write_json(out / MPII_DET_FILE, dets)
            counts['detections'] = len(dets)
    return counts


def write_mpii_gt_mat(path: Path, entries: Sequence[dict], head_boxes: np.ndarray,
                      savemat=None) -> None:
    """The ``mpii_gt_val.mat`` of mmpose's MPII layout for ``entries``.

    Args:
        path: Output file.
        entries: The ``mpii_val.json`` entries (same order).
        head_boxes: (N, 4) ``x1, y1, x2, y2`` head boxes (pixels).
    """
    if savemat is None:
        from scipy.io import savemat
    n = len(entries)
    if head_boxes.shape != (n, 4):
        raise ValueError(f'write_mpii_gt_mat: head_boxes must be ({n}, 4), '
                         f'got {head_boxes.shape}')
    joints = np.array([e['joints'] for e in entries], np.float64).reshape(n, 16, 2)
    vis = np.array([e['joints_vis'] for e in entries], np.float64).reshape(n, 16)
    path.parent.mkdir(parents=True, exist_ok=True)
    savemat(str(path), dict(
        dataset_joints=np.array([[np.array([name], dtype=object)] for name in (
            'rank', 'rkne', 'rhip', 'lhip', 'lkne', 'lank', 'pelv', 'thor', 'neck', 'head',
            'rwri', 'relb', 'rsho', 'lsho', 'lelb', 'lwri')], dtype=object).T,
        headboxes_src=head_boxes.reshape(n, 2, 2).transpose(1, 2, 0),  # (2, 2, N)
        jnt_missing=(1 - vis).T,  # (16, N)
        pos_gt_src=joints.transpose(1, 2, 0)))  # (16, 2, N)


# ------------------------------------------------------------------------------------ dispatch
def write_layout(layout: str, out_dir, train_videos: int, val_videos: int,
                 cfg: SyntheticVideoConfig, seed: int = 0, workers: int = 1,
                 jpeg_quality: int = 90, val_label_every: int = 1,
                 val_num_frames: Optional[int] = None) -> Dict[str, int]:
    """Write a synthetic dataset in ``layout`` (one of :data:`LAYOUTS`) under ``out_dir``.

    ``val_label_every`` applies to ``posetrack18`` only (every frame is labeled elsewhere);
    ``val_num_frames`` (default ``cfg.num_frames``) is the length of the validation videos.

    Returns:
        The writer's counts.
    """
    if layout == 'synthetic':
        counts = {}
        for split, n in (('train', train_videos), ('val', val_videos)):
            c = write_split(out_dir, split, n, _split_cfg(cfg, split, val_num_frames), seed,
                            workers, jpeg_quality=jpeg_quality)
            counts.update({f'{split}_{k}': v for k, v in c.items()})
        return counts
    if layout == 'coco':
        return write_coco_layout(out_dir, train_videos, val_videos, cfg, seed, workers,
                                 jpeg_quality, val_num_frames=val_num_frames)
    if layout == 'posetrack18':
        return write_posetrack18_layout(out_dir, train_videos, val_videos, cfg, seed, workers,
                                        jpeg_quality, val_label_every=val_label_every,
                                        val_num_frames=val_num_frames)
    if layout == 'mpii':
        return write_mpii_layout(out_dir, train_videos, val_videos, cfg, seed, workers,
                                 jpeg_quality, val_num_frames=val_num_frames)
    raise ValueError(f'unknown layout {layout!r}; choose one of {LAYOUTS}')


def mini_config(num_frames: int = 3, width: int = 192, height: int = 144,
                persons: Tuple[int, int] = (2, 2), crowd_prob: float = 1.0,
                **kwargs) -> SyntheticVideoConfig:
    """Video parameters of the tiny datasets the config harness runs on (a few frames, two
    people, always a crowd with an ignore region)."""
    return replace(SyntheticVideoConfig(), width=width, height=height, num_frames=num_frames,
                   min_persons=persons[0], max_persons=persons[1], crowd_prob=crowd_prob,
                   **kwargs)

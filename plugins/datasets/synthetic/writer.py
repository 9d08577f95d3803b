"""Write a synthetic dataset to disk in the project layout (see docs/conventions.md):

``{out}/images/{split}/{video}/{frame:06d}.jpg``, ``{out}/annotations/{split}/{video}.json``
(PoseTrack18 per-video files) and ``{out}/annotations/{split}.json`` (all videos of the split
merged; loadable by mmpose's ``PoseTrack18Dataset`` / ``CocoDataset`` and mmdet's
``CocoDataset``; ``file_name`` relative to ``{out}``).
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from ..posetrack_json import (POSETRACK18_KEYPOINT_NAMES, POSETRACK18_SKELETON, VideoAnnotation,
                              dump_posetrack_video, video_to_json)
from .video import SyntheticVideo, SyntheticVideoConfig, render_video_annotations

SPLIT_CODES = dict(train=1, val=2, test=3)


class SyntheticVideoNaming:
    """``vid_num`` and ``name`` of a task with ``split`` and ``index`` (one rule for the
    writer and the dataset layouts)."""

    split: str
    index: int

    @property
    def vid_num(self) -> int:
        """Six-digit video number, unique across splits (``S0IIII``)."""
        return SPLIT_CODES[self.split] * 100_000 + self.index

    @property
    def name(self) -> str:
        """Video (folder and file) name."""
        return f'{self.vid_num:06d}_synthetic'


@dataclass
class VideoTask(SyntheticVideoNaming):
    """Everything a worker needs to render and write one video."""

    out_dir: str
    split: str
    index: int
    seed: int
    cfg: SyntheticVideoConfig
    keypoint_names: Sequence[str]
    skeleton: Sequence[Sequence[int]]
    jpeg_quality: int = 90



def categories_for(keypoint_names: Sequence[str],
                   skeleton: Sequence[Sequence[int]]) -> List[dict]:
    """COCO/PoseTrack ``categories``: one ``person`` category (id 1) with keypoints/skeleton."""
    return [dict(supercategory='person', id=1, name='person', keypoints=list(keypoint_names),
                 skeleton=[list(s) for s in skeleton])]


def write_video(task: VideoTask) -> dict:
    """Render one video, write its frames and its PoseTrack18 file.

    Args:
        task: The video to make.

    Returns:
        The video's PoseTrack18 JSON object (for merging).
    """
    rng = np.random.default_rng([task.seed, SPLIT_CODES[task.split], task.index])
    video = SyntheticVideo(task.cfg, rng, task.keypoint_names)
    out = Path(task.out_dir)
    img_dir = out / 'images' / task.split / task.name
    img_dir.mkdir(parents=True, exist_ok=True)
    frames = []
    params = [cv2.IMWRITE_JPEG_QUALITY, int(task.jpeg_quality)]
    for img, frame in render_video_annotations(video, task.name, task.vid_num, task.split):
        path = out / frame.file_name
        if not cv2.imwrite(str(path), img, params):
            raise OSError(f'could not write image {path}')
        frames.append(frame)
    ann = VideoAnnotation(name=task.name, frames=frames,
                          categories=categories_for(task.keypoint_names, task.skeleton))
    dump_posetrack_video(ann, out / 'annotations' / task.split / f'{task.name}.json')
    return video_to_json(ann)


def merge_video_jsons(videos: Sequence[dict]) -> dict:
    """Concatenate per-video PoseTrack18 objects into one COCO-style file (ids stay unique)."""
    if not videos:
        raise ValueError('merge_video_jsons: no videos to merge')
    images, annotations = [], []
    for v in videos:
        images.extend(v['images'])
        annotations.extend(v['annotations'])
    ids = [a['id'] for a in annotations]
    if len(set(ids)) != len(ids) or len({i['id'] for i in images}) != len(images):
        raise ValueError('merge_video_jsons: image or annotation ids are not unique')
    return dict(categories=videos[0]['categories'], images=images, annotations=annotations)


def write_split(out_dir: str, split: str, num_videos: int, cfg: SyntheticVideoConfig, seed: int,
                workers: int = 1, keypoint_names: Optional[Sequence[str]] = None,
                skeleton: Optional[Sequence[Sequence[int]]] = None,
                jpeg_quality: int = 90) -> Dict[str, int]:
    """Render ``num_videos`` videos of one split and write the merged annotation file.

    Args:
        out_dir: Dataset root.
        split: ``'train'``, ``'val'`` or ``'test'``.
        num_videos: Videos to make (0 writes nothing).
        cfg: Video parameters.
        seed: Dataset seed; video ``i`` of a split depends only on ``(seed, split, i)``, so the
            output does not depend on ``workers``.
        workers: Processes to render with.
        keypoint_names: Output keypoint order (PoseTrack18 by default).
        skeleton: 1-based limb pairs for ``categories`` (PoseTrack18 by default).
        jpeg_quality: JPEG quality of the frames.

    Returns:
        Counts: ``videos``, ``frames``, ``persons`` (person-frames).
    """
    if split not in SPLIT_CODES:
        raise ValueError(f'write_split: unknown split {split!r} ({sorted(SPLIT_CODES)})')
    if num_videos <= 0:
        return dict(videos=0, frames=0, persons=0)
    names = list(keypoint_names or POSETRACK18_KEYPOINT_NAMES)
    skel = [list(s) for s in (skeleton or POSETRACK18_SKELETON)]
    tasks = [VideoTask(str(out_dir), split, i, seed, cfg, names, skel, jpeg_quality)
             for i in range(num_videos)]
    workers = max(1, min(int(workers), num_videos))
    if workers == 1:
        results = [write_video(t) for t in tasks]
    else:
        with mp.get_context('fork').Pool(workers) as pool:
            results = pool.map(write_video, tasks, chunksize=1)
    merged = merge_video_jsons(results)
    path = Path(out_dir) / 'annotations' / f'{split}.json'
    tmp = path.with_suffix('.json.tmp')
    with open(tmp, 'w') as f:
        json.dump(merged, f, separators=(',', ':'))
    os.replace(tmp, path)
    with open(Path(out_dir) / f'settings_{split}.json', 'w') as f:
        json.dump(dict(seed=seed, num_videos=num_videos, **asdict(cfg)), f, indent=1)
    return dict(videos=num_videos, frames=len(merged['images']),
                persons=len(merged['annotations']))

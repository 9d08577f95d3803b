"""Video sequence dataset over a folder of PoseTrack18-style per-video JSON files.

Used for tracking evaluation, ``tools/test.py`` on videos and temporal models. It reads the same
files as mmpose's frame-level ``PoseTrack18Dataset`` (real PoseTrack18, PoseTrack21, the converted
Bonn PoseTrack, the synthetic set) and exposes whole sequences or single frames with their temporal
neighbours.
"""
from __future__ import annotations

import copy
import os.path as osp
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset

from plugins.registry import DATASETS

from .ignore_regions import regions_to_xy
from .posetrack_json import (FrameAnnotation, VideoAnnotation, iter_video_files,
                             load_posetrack_video)


@DATASETS.register_module()
class PoseTrackVideoDataset(BaseDataset):
    """Sequences (or frames with neighbours) of PoseTrack18-style per-video annotation files.

    Every frame is a dict with ``img_path``, ``img_id``, ``video_name``, ``video_index``,
    ``frame_index`` (from the file name), ``position`` (0-based index in the video's frame list),
    ``is_labeled``, ``width``/``height`` (0 when unknown) and the persons as arrays:
    ``keypoints`` (N, K, 2), ``keypoints_visible`` (N, K) in {0, 1}, ``keypoint_flags`` (N, K)
    (raw third value: 0/1 or COCO 0/1/2; for prediction files the scores),
    ``bbox`` (N, 4) xyxy, ``bbox_score`` (N,), ``head_bbox`` (N, 4) xyxy (NaN rows when
    absent), ``track_ids`` (N,) int64, ``person_ids`` (N,) int64 (PoseTrack21's identities
    across videos, -1 when the file has none), ``category_id`` (N,), plus ``ignore_regions``
    (list of (P, 2) polygons) and ``ignore_regions_x`` / ``ignore_regions_y`` (the PoseTrack
    lists).

    PoseTrack21 (``posetrack_data/{train,val}/*.json``, PoseTrack18-style files with
    ``person_id``, per-image ignore regions and box-only annotations of small persons, whose
    joints are all unannotated): ``data_root='data/PoseTrack21/', ann_file='posetrack_data/val',
    metainfo=dict(from_file='configs/_base_/datasets/posetrack21.py')`` (image paths in the
    files start with ``images/``, relative to the root).

    Args:
        ann_file: Folder of ``{video}.json`` files (or one such file), relative to
            ``data_root`` unless absolute.
        mode: ``'video'``: item ``i`` is video ``i`` (``dict(video_name, video_index,
            num_frames, frames=[frame dicts])``); ``'frame'``: item ``i`` is one frame (all
            frames, or only labeled ones with ``labeled_only``) with its ``neighbours``.
        neighbour_offsets: Frame mode: offsets of the neighbours returned with each frame
            (e.g. ``(-2, -1, 1, 2)``), clamped at the video ends.
        labeled_only: Frame mode: index only frames with ``is_labeled``.
        videos: Only these video names (default: all files of the folder).
        metainfo: mmpose dataset_info, e.g. ``dict(from_file='configs/_base_/datasets/
            bonn_posetrack.py')``; PoseTrack18's by default. Its keypoint count must match the
            files'.
        data_root, data_prefix (``dict(img=...)``, the prefix of ``file_name``), pipeline,
        test_mode, lazy_init, indices: as in mmengine's ``BaseDataset``.
    """

    METAINFO: dict = dict(from_file='configs/_base_/datasets/posetrack18.py')

    def __init__(self, ann_file: str = '', mode: str = 'video',
                 neighbour_offsets: Sequence[int] = (), labeled_only: bool = True,
                 videos: Optional[Sequence[str]] = None, metainfo: Optional[dict] = None,
                 data_root: str = '', data_prefix: dict = dict(img=''),
                 pipeline: List[Union[dict, Any]] = [], test_mode: bool = True,
                 lazy_init: bool = False, indices: Optional[Union[int, Sequence[int]]] = None,
                 **kwargs: Any) -> None:
        if mode not in ('video', 'frame'):
            raise ValueError(f'PoseTrackVideoDataset: mode must be "video" or "frame", '
                             f'got {mode!r}')
        self.mode = mode
        self.neighbour_offsets = tuple(int(o) for o in neighbour_offsets)
        self.labeled_only = labeled_only
        self.video_filter = list(videos) if videos is not None else None
        self.videos: List[VideoAnnotation] = []
        kwargs.setdefault('serialize_data', False)
        super().__init__(ann_file=ann_file, metainfo=metainfo, data_root=data_root,
                         data_prefix=data_prefix, pipeline=pipeline, test_mode=test_mode,
                         lazy_init=lazy_init, indices=indices, **kwargs)

    @classmethod
    def _load_metainfo(cls, metainfo: Optional[dict] = None) -> dict:
        """Parse an mmpose ``dataset_info`` (``from_file`` or inline) like mmpose datasets."""
        from mmpose.datasets.datasets.utils import parse_pose_metainfo
        if metainfo is None:
            metainfo = copy.deepcopy(cls.METAINFO)
        if not isinstance(metainfo, dict):
            raise TypeError(f'metainfo should be a dict, got {type(metainfo)}')
        return parse_pose_metainfo(dict(metainfo))

    # ------------------------------------------------------------------ loading
    def load_data_list(self) -> List[dict]:
        """Load the videos and build the item index (light dicts; frames are built on access)."""
        path = self.ann_file
        if osp.isdir(path):
            files = iter_video_files(path)
            if self.video_filter is not None:
                wanted = set(self.video_filter)
                missing = wanted - {p.stem for p in files}
                if missing:
                    raise FileNotFoundError(f'PoseTrackVideoDataset: videos {sorted(missing)} '
                                            f'not found in {path}')
                files = [p for p in files if p.stem in wanted]
        elif osp.isfile(path):
            files = [path]
        else:
            raise FileNotFoundError(f'PoseTrackVideoDataset: annotation folder/file not found: '
                                    f'{path!r}')
        k = self._metainfo['num_keypoints']
        self.videos = []
        for f in files:
            video = load_posetrack_video(f)
            file_k = next((fr.keypoints.shape[1] for fr in video.frames if fr.num_persons),
                          video.num_keypoints or k)
            if file_k != k:
                raise ValueError(f'{f}: {file_k} keypoints per person but the metainfo '
                                 f'({self._metainfo.get("dataset_name")}) has {k}')
            self.videos.append(video)
        if self.mode == 'video':
            return [dict(video_index=v) for v in range(len(self.videos))]
        return [dict(video_index=v, position=i) for v, video in enumerate(self.videos)
                for i, fr in enumerate(video.frames) if fr.is_labeled or not self.labeled_only]

    def get_data_info(self, idx: int) -> dict:
        """Item ``idx``: a whole video (video mode) or a frame with neighbours (frame mode)."""
        if not self._fully_initialized:
            self.full_init()
        entry = self.data_list[idx]
        if self.mode == 'video':
            info = self.get_video(entry['video_index'])
        else:
            info = self.get_frame_with_neighbours(entry['video_index'], entry['position'],
                                                  self.neighbour_offsets)
        info['sample_idx'] = idx if idx >= 0 else len(self) + idx
        return info

    # ------------------------------------------------------------------ access
    @property
    def video_names(self) -> List[str]:
        """Names of the loaded videos, in index order."""
        return [v.name for v in self.videos]

    @property
    def num_videos(self) -> int:
        """Number of loaded videos."""
        return len(self.videos)

    def num_frames(self, video_index: int) -> int:
        """Frames of video ``video_index``."""
        return len(self.videos[video_index].frames)

    def video_index(self, name: str) -> int:
        """Index of the video called ``name``."""
        try:
            return self.video_names.index(name)
        except ValueError:
            raise KeyError(f'PoseTrackVideoDataset: no video named {name!r}') from None

    def get_video(self, video_index: int) -> dict:
        """A whole sequence: ``dict(video_name, video_index, num_frames, frames=[...])``."""
        video = self.videos[video_index]
        return dict(video_name=video.name, video_index=video_index,
                    num_frames=len(video.frames),
                    frames=[self._frame_dict(video_index, i) for i in range(len(video.frames))])

    def get_frame(self, video_index: int, position: int) -> dict:
        """Frame at ``position`` (0-based in the file's frame list) of a video."""
        n = self.num_frames(video_index)
        if not -n <= position < n:
            raise IndexError(f'PoseTrackVideoDataset: frame {position} out of range for video '
                             f'{self.videos[video_index].name!r} with {n} frames')
        return self._frame_dict(video_index, position % n)

    def neighbour_positions(self, video_index: int, position: int,
                            offsets: Sequence[int]) -> List[int]:
        """Positions ``position + offset`` clamped to the video (first/last frame repeat)."""
        n = self.num_frames(video_index)
        return [int(np.clip(position + o, 0, n - 1)) for o in offsets]

    def get_frame_with_neighbours(self, video_index: int, position: int,
                                  offsets: Sequence[int] = (-1, 1)) -> dict:
        """Frame ``position`` of a video plus its temporal neighbours.

        Args:
            video_index: Video index.
            position: Frame position in the video.
            offsets: Relative positions of the neighbours (clamped at the ends).

        Returns:
            The frame dict with ``neighbours`` (list of frame dicts, in ``offsets`` order) and
            ``neighbour_positions`` (the clamped positions).
        """
        info = self.get_frame(video_index, position)
        pos = self.neighbour_positions(video_index, info['position'], offsets)
        info['neighbour_positions'] = pos
        info['neighbours'] = [self._frame_dict(video_index, p) for p in pos]
        return info

    def to_video_annotation(self, video_index: int) -> VideoAnnotation:
        """The loaded :class:`VideoAnnotation` (e.g. to write ground truth or evaluate)."""
        return self.videos[video_index]

    def _frame_dict(self, video_index: int, position: int) -> dict:
        video = self.videos[video_index]
        fr: FrameAnnotation = video.frames[position]
        n = fr.num_persons
        flags = fr.keypoint_scores.copy()
        xs, ys = regions_to_xy(fr.ignore_regions)
        return dict(
            img_path=osp.join(self.data_prefix.get('img', ''), fr.file_name),
            img_id=fr.image_id, video_name=video.name, video_index=video_index,
            frame_index=fr.frame_index, position=position, is_labeled=fr.is_labeled,
            width=fr.width, height=fr.height,
            keypoints=fr.keypoints.copy(),
            keypoints_visible=np.minimum(1.0, (flags > 0).astype(np.float32)),
            keypoint_flags=flags,
            bbox=fr.bboxes.copy(), bbox_score=fr.bbox_scores.copy(),
            head_bbox=fr.head_bboxes.copy(), track_ids=fr.track_ids.copy(),
            person_ids=fr.person_ids.copy(),
            category_id=np.ones(n, np.int64),
            ignore_regions=[p.copy() for p in fr.ignore_regions],
            ignore_regions_x=xs, ignore_regions_y=ys)

    def frame_positions(self) -> List[Tuple[int, int]]:
        """``(video_index, position)`` of every item in frame mode."""
        if self.mode != 'frame':
            raise RuntimeError('frame_positions() is only defined in frame mode')
        return [(d['video_index'], d['position']) for d in self.data_list]

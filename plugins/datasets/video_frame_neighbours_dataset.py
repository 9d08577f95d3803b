"""Top-down samples of (frame, temporal neighbours) from PoseTrack-layout video datasets."""
import os
import os.path as osp
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

from mmpose.datasets.datasets.body import PoseTrack18Dataset
from mmpose.registry import DATASETS
from plugins.datasets.posetrack_video_dataset import PoseTrackVideoDataset

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')


@lru_cache(maxsize=4096)
def list_video_frames(folder: str) -> Tuple[str, ...]:
    """The image files of one video folder, sorted by name (PoseTrack names frames
    ``{index:06d}.jpg``, so name order is time order).

    Args:
        folder (str): the video's frame folder.

    Returns:
        tuple[str, ...]: file names (not paths).
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'video frame folder not found: {folder}')
    return tuple(sorted(f for f in os.listdir(folder)
                        if f.lower().endswith(IMAGE_EXTENSIONS) and not f.startswith('.')))


def neighbour_indices(index: int, offsets: Sequence[int], num_frames: int) -> List[int]:
    """Frame indices ``index + offset`` clipped to the video (a clip border repeats the edge
    frame, whose flow to the current frame is then zero or small).

    Args:
        index (int): current frame index.
        offsets (Sequence[int]): relative offsets of the neighbours.
        num_frames (int): frames in the video.

    Returns:
        list[int]: one index per offset.
    """
    return [min(max(index + int(o), 0), num_frames - 1) for o in offsets]


@DATASETS.register_module()
class VideoFrameNeighboursDataset(PoseTrack18Dataset):
    """mmpose's ``PoseTrack18Dataset`` whose samples also name the neighbouring frames.

    Every top-down sample (one person in one annotated frame, from ground-truth boxes or a
    ``bbox_file``) gets ``frame_paths = [current, current + o for o in neighbour_offsets]``,
    clipped at the ends of the video. The frame order of a video comes from its PoseTrack18
    per-video file (``video_ann_dir``, read by the video sequence dataset
    :class:`~plugins.datasets.posetrack_video_dataset.PoseTrackVideoDataset`; official PoseTrack18
    files list every frame) or, without ``video_ann_dir``, from the sorted image files of the
    frame's folder (PoseTrack layout ``images/{split}/{video}/{index:06d}.jpg``, which the
    synthetic data follows). It also gets ``video_name``, ``frame_index`` and
    ``neighbour_frame_indices`` (used to cache flows per video). Annotations, ids and metainfo
    are those of ``PoseTrack18Dataset``, so mmpose's ``CocoMetric`` / ``PoseTrack18Metric``
    evaluate it unchanged.

    The pipeline then loads the clip with ``LoadVideoFrames`` and crops all frames with the same
    box (mmpose's ``RandomFlip`` / ``TopdownAffine`` transform image lists consistently).

    Args:
        neighbour_offsets (Sequence[int]): offsets of the neighbours relative to the current
            frame, in the order they are stacked after it (e.g. ``(-1, 1)`` or
            ``(-2, -1, 1, 2)``). 0 is not allowed (the current frame is always first).
        video_ann_dir (str, optional): folder of the per-video PoseTrack18 files (relative to
            ``data_root`` unless absolute) giving each video's frame list; default: list the
            frame folders on disk.
        **kwargs: arguments of ``PoseTrack18Dataset`` (``ann_file``, ``data_root``,
            ``data_prefix``, ``bbox_file``, ``pipeline``, ``test_mode``, ...).
    """

    def __init__(self,
                 neighbour_offsets: Sequence[int] = (-1, 1),
                 video_ann_dir: Optional[str] = None,
                 **kwargs) -> None:
        offsets = [int(o) for o in neighbour_offsets]
        if any(o == 0 for o in offsets):
            raise ValueError('VideoFrameNeighboursDataset: neighbour_offsets must not contain 0 '
                             f'(the current frame is always first), got {offsets}')
        self.neighbour_offsets = offsets
        self.video_ann_dir = video_ann_dir
        self._raw_metainfo = kwargs.get('metainfo')
        if kwargs.get('data_mode', 'topdown') != 'topdown':
            raise ValueError('VideoFrameNeighboursDataset supports data_mode="topdown" only')
        super().__init__(**kwargs)

    @property
    def num_frames(self) -> int:
        """Frames per sample: the current frame and its neighbours."""
        return 1 + len(self.neighbour_offsets)

    def load_data_list(self) -> List[dict]:
        """Load the samples of ``PoseTrack18Dataset`` and add the neighbour frames."""
        data_list = super().load_data_list()
        videos = self._frame_lists_from_annotations() if self.video_ann_dir else {}
        for info in data_list:
            info.update(self._clip_info(info['img_path'], videos))
        return data_list

    def _frame_lists_from_annotations(self) -> Dict[str, List[str]]:
        """``{video folder: [frame paths in time order]}`` from the per-video files."""
        ann_dir = self.video_ann_dir
        if self.data_root and not osp.isabs(ann_dir):
            ann_dir = osp.join(self.data_root, ann_dir)
        sequences = PoseTrackVideoDataset(
            ann_file=ann_dir, mode='video', data_prefix=dict(self.data_prefix),
            metainfo=self._raw_metainfo, test_mode=True)
        videos = {}
        for v in range(sequences.num_videos):
            paths = [osp.normpath(f['img_path']) for f in sequences.get_video(v)['frames']]
            if paths:
                videos[osp.dirname(paths[0])] = paths
        return videos

    def _clip_info(self, img_path: str, videos: Dict[str, List[str]]) -> Dict:
        folder = osp.dirname(osp.normpath(img_path))
        if videos:
            if folder not in videos:
                raise KeyError(f'VideoFrameNeighboursDataset: no per-video file in '
                               f'{self.video_ann_dir} lists the frames of {folder}')
            paths = videos[folder]
        else:
            paths = [osp.join(folder, f) for f in list_video_frames(folder)]
        try:
            index = paths.index(osp.normpath(img_path))
        except ValueError:
            source = self.video_ann_dir or folder
            raise FileNotFoundError(f'VideoFrameNeighboursDataset: frame {img_path} is not among '
                                    f'the {len(paths)} frames of its video in {source}') from None
        neighbours = neighbour_indices(index, self.neighbour_offsets, len(paths))
        return dict(
            video_name=osp.basename(folder),
            frame_index=index,
            neighbour_frame_indices=neighbours,
            frame_paths=[img_path] + [paths[i] for i in neighbours])

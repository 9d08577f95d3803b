"""Top-down samples of (frame, temporal neighbours) from PoseTrack-layout video datasets."""
import os
import os.path as osp
from functools import lru_cache
from typing import Dict, List, Sequence, Tuple

from mmpose.datasets.datasets.body import PoseTrack18Dataset
from mmpose.registry import DATASETS

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
    looked up among the image files of the frame's video folder (PoseTrack layout
    ``images/{split}/{video}/{index:06d}.jpg``, which the synthetic data follows), clipped at the
    ends of the video. It also gets ``video_name``, ``frame_index`` and
    ``neighbour_frame_indices`` (used to cache flows per video). Annotations, ids and metainfo
    are those of ``PoseTrack18Dataset``, so mmpose's ``CocoMetric`` / ``PoseTrack18Metric``
    evaluate it unchanged.

    The pipeline then loads the clip with ``LoadVideoFrames`` and crops all frames with the same
    box (mmpose's ``RandomFlip`` / ``TopdownAffine`` transform image lists consistently).

    Args:
        neighbour_offsets (Sequence[int]): offsets of the neighbours relative to the current
            frame, in the order they are stacked after it (e.g. ``(-1, 1)`` or
            ``(-2, -1, 1, 2)``). 0 is not allowed (the current frame is always first).
        **kwargs: arguments of ``PoseTrack18Dataset`` (``ann_file``, ``data_root``,
            ``data_prefix``, ``bbox_file``, ``pipeline``, ``test_mode``, ...).
    """

    def __init__(self, neighbour_offsets: Sequence[int] = (-1, 1), **kwargs) -> None:
        offsets = [int(o) for o in neighbour_offsets]
        if any(o == 0 for o in offsets):
            raise ValueError('VideoFrameNeighboursDataset: neighbour_offsets must not contain 0 '
                             f'(the current frame is always first), got {offsets}')
        self.neighbour_offsets = offsets
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
        for info in data_list:
            info.update(self._clip_info(info['img_path']))
        return data_list

    def _clip_info(self, img_path: str) -> Dict:
        folder, name = osp.split(img_path)
        frames = list_video_frames(folder)
        try:
            index = frames.index(name)
        except ValueError:
            raise FileNotFoundError(f'VideoFrameNeighboursDataset: frame {img_path} is not among '
                                    f'the {len(frames)} images of {folder}') from None
        neighbours = neighbour_indices(index, self.neighbour_offsets, len(frames))
        return dict(
            video_name=osp.basename(folder),
            frame_index=index,
            neighbour_frame_indices=neighbours,
            frame_paths=[img_path] + [osp.join(folder, frames[i]) for i in neighbours])

"""Dense optical flow from the current frame to its neighbours, cached per video."""
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from mmpose.registry import TRANSFORMS
from plugins.utils.optical_flow import FLOW_METHODS, FlowCache


def _frame_index_from_path(path: str) -> int:
    stem = osp.splitext(osp.basename(path))[0]
    if not stem.isdigit():
        raise ValueError(f'VideoComputeFlow: cannot read a frame index from {path!r}; give '
                         '"frame_index" / "neighbour_frame_indices" in the data info')
    return int(stem)


@TRANSFORMS.register_module()
class VideoComputeFlow(BaseTransform):
    """Full-frame optical flow from the current frame to each neighbour frame.

    Runs after :class:`~plugins.datasets.transforms.video_loading.LoadVideoFrames` and before
    any geometric transform: flows are computed on the original frames, so one flow per
    (video, frame, neighbour) serves every person of the frame and every epoch; a
    :class:`~plugins.utils.optical_flow.FlowCache` keeps them in memory (LRU) and, with
    ``cache_dir``, on disk. :class:`~plugins.datasets.transforms.video_topdown_affine.
    VideoTopdownAffine` later applies the crop (flip, scale, rotation) to them.

    A neighbour that is the current frame itself (clip border) gets a zero flow.

    Required keys: ``img`` (list, current first), ``frame_paths``; optional ``video_name``,
    ``frame_index``, ``neighbour_frame_indices`` (else read from the paths).
    Added keys: ``flows`` ``(T - 1, H, W, 2)`` float32 in image pixels.

    Args:
        method (str): ``'dis'`` or ``'farneback'``.
        dis_preset (str): DIS preset (``'ultrafast'``, ``'fast'``, ``'medium'``).
        cache_dir (str, optional): folder for the on-disk cache (float16 ``.npy``).
        max_items (int): flows kept in memory per data worker.
    """

    def __init__(self,
                 method: str = 'dis',
                 dis_preset: str = 'ultrafast',
                 cache_dir: Optional[str] = None,
                 max_items: int = 256) -> None:
        super().__init__()
        if method not in FLOW_METHODS:
            raise ValueError(f'VideoComputeFlow: method must be one of {FLOW_METHODS}, '
                             f'got {method!r}')
        self.method = method
        self.dis_preset = dis_preset
        self.cache = FlowCache(
            method=method, cache_dir=cache_dir, max_items=max_items,
            flow_kwargs=dict(dis_preset=dis_preset) if method == 'dis' else None)

    def transform(self, results: dict) -> dict:
        """Compute (or fetch) the flows of the clip.

        Args:
            results (dict): the result dict.

        Returns:
            dict: with ``flows`` added.
        """
        frames = results.get('img')
        paths: Sequence[str] = results.get('frame_paths') or []
        if not isinstance(frames, list) or len(frames) != len(paths):
            raise ValueError('VideoComputeFlow needs results["img"] as the list of frames loaded '
                             'by LoadVideoFrames (with matching "frame_paths") and must run '
                             'before any geometric transform')
        video = results.get('video_name') or osp.dirname(paths[0])
        current = results.get('frame_index')
        current = _frame_index_from_path(paths[0]) if current is None else int(current)
        neighbours = results.get('neighbour_frame_indices')
        if neighbours is None:
            neighbours = [_frame_index_from_path(p) for p in paths[1:]]
        if len(neighbours) != len(frames) - 1:
            raise ValueError(f'VideoComputeFlow: {len(neighbours)} neighbour indices for '
                             f'{len(frames) - 1} neighbour frames ({paths[0]})')
        h, w = frames[0].shape[:2]
        flows = np.zeros((len(frames) - 1, h, w, 2), np.float32)
        for i, (index, frame) in enumerate(zip(neighbours, frames[1:])):
            if int(index) != current:
                flows[i] = self.cache.get(video, current, int(index), frames[0], frame)
        results['flows'] = flows
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(method={self.method!r}, '
                f'dis_preset={self.dis_preset!r}, cache_dir={self.cache.cache_dir!r})')

"""Loading of a frame and its temporal neighbours for video-aware top-down pipelines."""
from typing import List, Optional

import numpy as np

from mmpose.datasets.transforms import LoadImage
from mmpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadVideoFrames(LoadImage):
    """Load the current frame and its neighbours as a list of images.

    The frames are read from ``results['frame_paths']`` (current frame first, as written by
    :class:`~plugins.datasets.video_frame_neighbours_dataset.VideoFrameNeighboursDataset`), or
    from ``results['img_path']`` when it is a list (the layout of mmpose's
    ``PoseTrack18VideoDataset``). ``results['img']`` becomes the list ``[current, n1, n2, ...]``,
    which mmpose's ``RandomFlip``, ``TopdownAffine`` and ``PackPoseInputs`` already transform
    frame by frame with the same parameters, so all crops stay consistent. ``img_path`` is set
    to the current frame's path (what metrics and writers expect).

    Required keys: ``frame_paths`` or ``img_path``. Added/modified keys: ``img`` (list),
    ``img_path``, ``frame_paths``, ``img_shape``, ``ori_shape``.

    Args:
        to_float32, color_type, imdecode_backend, backend_args, ignore_empty: as mmpose's
            ``LoadImage``.
    """

    def transform(self, results: dict) -> Optional[dict]:
        """Load every frame of ``frame_paths``.

        Args:
            results (dict): the result dict.

        Returns:
            dict: the result dict with ``img`` as a list of ``(H, W, 3)`` arrays.
        """
        paths = results.get('frame_paths')
        if paths is None:
            paths = results.get('img_path')
        if isinstance(paths, str):
            paths = [paths]
        if not paths:
            raise KeyError('LoadVideoFrames: results need "frame_paths" (or a list in '
                           f'"img_path"), got keys {sorted(results)}')
        frames: List[np.ndarray] = []
        for path in paths:
            loaded = super().transform(dict(img_path=path))
            if loaded is None:  # ignore_empty
                return None
            frames.append(loaded['img'])
        shapes = {f.shape for f in frames}
        if len(shapes) != 1:
            sizes = ', '.join(f'{p}: {f.shape}' for p, f in zip(paths, frames))
            raise ValueError(f'LoadVideoFrames: frames of one clip differ in size ({sizes})')
        results['img'] = frames
        results['frame_paths'] = list(paths)
        results['img_path'] = paths[0]
        results['img_shape'] = frames[0].shape[:2]
        results['ori_shape'] = frames[0].shape[:2]
        return results

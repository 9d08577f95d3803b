"""Top-down crop of a frame clip and of its optical flows with one affine transform."""
from typing import Optional, Tuple

import cv2
import numpy as np

from mmpose.datasets.transforms import TopdownAffine
from mmpose.registry import TRANSFORMS
from mmpose.structures.bbox import get_udp_warp_matrix, get_warp_matrix


def flip_flow_field(flows: np.ndarray, direction: str) -> np.ndarray:
    """Flows of flipped frames: mirror the fields and negate the flipped component.

    Args:
        flows (np.ndarray): ``(N, H, W, 2)`` flows ``(dx, dy)``.
        direction (str): ``'horizontal'``, ``'vertical'`` or ``'diagonal'``.

    Returns:
        np.ndarray: ``(N, H, W, 2)`` flows of the flipped frames.
    """
    if direction == 'horizontal':
        return flows[:, :, ::-1] * np.array([-1.0, 1.0], np.float32)
    if direction == 'vertical':
        return flows[:, ::-1] * np.array([1.0, -1.0], np.float32)
    if direction == 'diagonal':
        return flows[:, ::-1, ::-1] * np.array([-1.0, -1.0], np.float32)
    raise ValueError(f'flip_flow_field: unknown flip direction {direction!r}')


def warp_flow_field(flows: np.ndarray, warp_mat: np.ndarray,
                    size: Tuple[int, int]) -> np.ndarray:
    """Apply an affine map ``x' = A x + b`` of the image plane to flow fields.

    The field is resampled on the output grid and its vectors are mapped by ``A``:
    ``flow'(x') = A flow(A^-1 (x' - b))``.

    Args:
        flows (np.ndarray): ``(N, H, W, 2)`` flows in input-image pixels.
        warp_mat (np.ndarray): ``(2, 3)`` affine matrix (image -> output grid).
        size (tuple[int, int]): output ``(w, h)``.

    Returns:
        np.ndarray: ``(N, 2, h, w)`` float32 flows in output-grid pixels.
    """
    w, h = int(size[0]), int(size[1])
    resampled = np.stack([
        cv2.warpAffine(np.ascontiguousarray(f), warp_mat, (w, h), flags=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=0) for f in flows
    ]) if len(flows) else np.zeros((0, h, w, 2), np.float32)
    linear = warp_mat[:, :2].astype(np.float32)
    mapped = np.einsum('ij,nhwj->nihw', linear, resampled.astype(np.float32))
    return np.ascontiguousarray(mapped, dtype=np.float32)


@TRANSFORMS.register_module()
class VideoTopdownAffine(TopdownAffine):
    """mmpose's ``TopdownAffine`` for a clip: the same crop for every frame and for the flows.

    The frames (``results['img']`` as a list) are cropped by ``TopdownAffine`` itself. The
    full-frame flows of :class:`~plugins.datasets.transforms.video_flow.VideoComputeFlow`
    (computed on unflipped frames) are flipped like the frames if ``RandomFlip`` fired, then
    cropped with the same affine map (scale, rotation, translation) and their vectors mapped by
    it, so they become current-crop -> neighbour-crop flows.

    Required keys: as ``TopdownAffine``, plus optional ``flows`` ``(T - 1, H, W, 2)``,
    ``flip``, ``flip_direction``. Modified keys: as ``TopdownAffine``; ``flows`` becomes
    ``(T - 1, 2, h, w)`` on the ``flow_size`` grid.

    Args:
        input_size (tuple[int, int]): model input ``(w, h)``.
        use_udp (bool): unbiased data processing (as ``TopdownAffine``).
        flow_size (tuple[int, int], optional): ``(w, h)`` grid of the output flows, e.g. the
            heatmap size (flows then come in heatmap pixels); default ``input_size``.
    """

    def __init__(self,
                 input_size: Tuple[int, int],
                 use_udp: bool = False,
                 flow_size: Optional[Tuple[int, int]] = None) -> None:
        super().__init__(input_size=input_size, use_udp=use_udp)
        self.flow_size = tuple(flow_size) if flow_size is not None else tuple(input_size)

    def transform(self, results: dict) -> Optional[dict]:
        """Crop the frames, keypoints and flows.

        Args:
            results (dict): the result dict.

        Returns:
            dict: the result dict.
        """
        results = super().transform(results)
        flows = results.get('flows')
        if flows is None:
            return results
        flows = np.asarray(flows, np.float32)
        if flows.ndim != 4 or flows.shape[-1] != 2:
            raise ValueError('VideoTopdownAffine: results["flows"] must be the full-frame '
                             f'(T-1, H, W, 2) flows of VideoComputeFlow, got {flows.shape}')
        if results.get('flip', False):
            flows = flip_flow_field(flows, results['flip_direction'])
        rot = float(results['bbox_rotation'][0]) if 'bbox_rotation' in results else 0.
        get_matrix = get_udp_warp_matrix if self.use_udp else get_warp_matrix
        warp_mat = get_matrix(results['input_center'], results['input_scale'], rot,
                              output_size=self.flow_size)
        results['flows'] = warp_flow_field(flows, warp_mat, self.flow_size)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_size={self.input_size}, '
                f'use_udp={self.use_udp}, flow_size={self.flow_size})')

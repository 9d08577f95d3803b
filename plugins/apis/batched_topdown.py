"""All person crops of a frame in one batched operation, equal to mmpose's top-down test pipeline.

mmpose's ``inference_topdown`` runs the model's test pipeline once per person (``LoadImage`` ->
``GetBBoxCenterScale`` -> ``TopdownAffine`` -> ``PackPoseInputs``, each building dicts,
``PoseDataSample`` and ``InstanceData`` objects), then collates and normalises crop by crop.
:class:`TopdownCropper` reads the same transforms' settings from the config and does the work
for all boxes at once:

- box centres / scales for all boxes in one vectorised call of the same mmpose functions
  (``bbox_xyxy2cs`` with the pipeline's padding, ``TopdownAffine._fix_aspect_ratio``);
- the warp matrices from mmpose's own ``get_warp_matrix`` / ``get_udp_warp_matrix``;
- the crops, either with ``cv2.warpAffine`` (``backend='cv2'``: bit-identical to the test
  pipeline, written straight into one ``(N, h, w, 3)`` buffer that torch then views without a
  copy) or with one ``grid_sample`` on the device (``backend='torch'``: the frame is uploaded
  once and the crops never leave the GPU; bilinear like OpenCV but in floating point, so pixel
  values differ from OpenCV's fixed-point interpolation by a few grey levels at most on steep
  edges of magnified crops, ~0.02 on average).

Pipelines with any other transform are not "plain top-down"; :meth:`TopdownCropper.from_pipeline`
then returns ``None`` and the caller falls back to the per-crop test pipeline.
"""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

__all__ = ['TopdownCropper', 'affine_crops_torch']

_LOAD = 'LoadImage'
_CENTER_SCALE = 'GetBBoxCenterScale'
_AFFINE = 'TopdownAffine'
_PACK = 'PackPoseInputs'
CROP_BACKENDS = ('auto', 'cv2', 'torch')


def _type_name(transform) -> str:
    name = transform.get('type') if isinstance(transform, dict) else None
    if not isinstance(name, str):
        return repr(name)
    return name.split('.')[-1]  # 'mmpose.TopdownAffine' -> 'TopdownAffine'


def affine_crops_torch(frame: torch.Tensor, warp_mats: np.ndarray,
                       size: Tuple[int, int]) -> torch.Tensor:
    """Affine crops of one frame by bilinear ``grid_sample``, like ``cv2.warpAffine``.

    Each output pixel ``(x, y)`` of crop ``i`` samples the frame at ``M_i^-1 (x, y, 1)`` with
    bilinear interpolation and zeros outside the frame (OpenCV's ``INTER_LINEAR`` +
    ``BORDER_CONSTANT`` 0), pixel ``j`` at coordinate ``j``. All crops are sampled in one call,
    from a ``(1, C, H, W)`` view of the frame (no per-crop copy of the frame).

    Args:
        frame: ``(H, W, C)`` image tensor (any dtype; e.g. uint8 BGR), on the target device.
        warp_mats: ``(N, 2, 3)`` image -> crop affine matrices (as given to ``cv2.warpAffine``).
        size: crop ``(w, h)``.

    Returns:
        ``(N, C, h, w)`` float32 crops on ``frame.device``, rounded to whole grey levels when
        the frame is an integer image (as OpenCV does for uint8).
    """
    w, h = int(size[0]), int(size[1])
    height, width = frame.shape[:2]
    mats = np.asarray(warp_mats, np.float64).reshape(-1, 2, 3)
    n = len(mats)
    if n == 0:
        return frame.new_zeros((0, frame.shape[2], h, w), dtype=torch.float32)
    # inverse maps crop -> image, in double precision like OpenCV's invertAffineTransform
    lin = mats[:, :, :2]
    inv_lin = np.linalg.inv(lin)
    inv_t = -np.einsum('nij,nj->ni', inv_lin, mats[:, :, 2])
    inv = torch.as_tensor(np.concatenate([inv_lin, inv_t[:, :, None]], axis=2),
                          dtype=torch.float64, device=frame.device)
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64, device=frame.device),
                            torch.arange(w, dtype=torch.float64, device=frame.device),
                            indexing='ij')
    src_x = inv[:, 0, 0, None, None] * xs + inv[:, 0, 1, None, None] * ys + inv[:, 0, 2, None,
                                                                                  None]
    src_y = inv[:, 1, 0, None, None] * xs + inv[:, 1, 1, None, None] * ys + inv[:, 1, 2, None,
                                                                                  None]
    # normalised coordinates of grid_sample(align_corners=True): -1 = pixel 0, 1 = pixel W-1
    gx = src_x * (2.0 / max(width - 1, 1)) - 1.0
    gy = src_y * (2.0 / max(height - 1, 1)) - 1.0
    grid = torch.stack([gx, gy], dim=-1).to(torch.float32).reshape(1, n * h, w, 2)
    image = frame.permute(2, 0, 1).unsqueeze(0).to(torch.float32)
    crops = torch.nn.functional.grid_sample(image, grid, mode='bilinear', padding_mode='zeros',
                                            align_corners=True)  # (1, C, N*h, w)
    crops = crops.reshape(frame.shape[2], n, h, w).permute(1, 0, 2, 3)
    if not frame.dtype.is_floating_point:
        crops = crops.round()
    return crops.contiguous()


class TopdownCropper:
    """Batched equivalent of a plain mmpose top-down test pipeline.

    Args:
        input_size: model input ``(w, h)`` (``TopdownAffine.input_size``).
        padding: box padding of ``GetBBoxCenterScale`` (1.25 by default in mmpose).
        use_udp: ``TopdownAffine.use_udp``.
        to_float32: ``LoadImage.to_float32`` (crops of a float32 copy of the frame).
    """

    def __init__(self, input_size: Sequence[int], padding: float = 1.25, use_udp: bool = False,
                 to_float32: bool = False) -> None:
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.padding = float(padding)
        self.use_udp = bool(use_udp)
        self.to_float32 = bool(to_float32)

    @classmethod
    def from_pipeline(cls, pipeline: Sequence[dict]) -> Optional['TopdownCropper']:
        """The cropper equal to ``pipeline``, or ``None`` if it is not a plain top-down one.

        Plain means exactly ``[LoadImage, GetBBoxCenterScale, TopdownAffine, PackPoseInputs]``
        (any registry prefix; ``LoadImage`` may be left out; ``PackPoseInputs`` ``meta_keys``
        do not matter at test time). ``GetBBoxCenterScale``, ``TopdownAffine`` and
        ``LoadImage`` arguments other than those handled here make it non-plain.

        Args:
            pipeline: the model config's ``test_dataloader.dataset.pipeline``.

        Returns:
            A :class:`TopdownCropper` or ``None``.
        """
        steps = list(pipeline)
        names = [_type_name(t) for t in steps]
        if names and names[0] == _LOAD:
            load = dict(steps[0])
            steps, names = steps[1:], names[1:]
        else:
            load = {}
        if names != [_CENTER_SCALE, _AFFINE, _PACK]:
            return None
        if set(load) - {'type', 'to_float32', 'backend_args', 'color_type', 'imdecode_backend',
                        'ignore_empty'}:
            return None
        center_scale, affine = dict(steps[0]), dict(steps[1])
        if set(center_scale) - {'type', 'padding'} or set(affine) - {
                'type', 'input_size', 'use_udp'}:
            return None
        if set(dict(steps[2])) - {'type', 'meta_keys', 'pack_transformed'}:
            return None
        return cls(input_size=affine['input_size'], padding=center_scale.get('padding', 1.25),
                   use_udp=affine.get('use_udp', False),
                   to_float32=bool(load.get('to_float32', False)))

    def centers_scales(self, bboxes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Crop centres and scales of ``xyxy`` boxes, as ``GetBBoxCenterScale`` +
        ``TopdownAffine`` compute them (same functions, all boxes at once).

        Args:
            bboxes: ``(N, 4)`` float32 ``xyxy`` boxes.

        Returns:
            ``(centers (N, 2), scales (N, 2))`` in image pixels; scales have the input's
            aspect ratio (``input_scale`` of the test pipeline).
        """
        from mmpose.datasets.transforms import TopdownAffine
        from mmpose.structures.bbox import bbox_xyxy2cs

        centers, scales = bbox_xyxy2cs(np.asarray(bboxes).reshape(-1, 4), padding=self.padding)
        w, h = self.input_size
        scales = TopdownAffine._fix_aspect_ratio(scales, aspect_ratio=w / h)
        return centers, scales

    def warp_matrices(self, centers: np.ndarray, scales: np.ndarray) -> np.ndarray:
        """``(N, 2, 3)`` image -> crop matrices from mmpose's warp-matrix functions."""
        from mmpose.structures.bbox import get_udp_warp_matrix, get_warp_matrix

        get_matrix = get_udp_warp_matrix if self.use_udp else get_warp_matrix
        if len(centers) == 0:
            return np.zeros((0, 2, 3), np.float64)
        return np.stack([get_matrix(c, s, 0., output_size=self.input_size)
                         for c, s in zip(centers, scales)])

    def crops_cv2(self, frame: np.ndarray, warp_mats: np.ndarray) -> np.ndarray:
        """``(N, h, w, C)`` crops by ``cv2.warpAffine`` (the test pipeline's exact pixels).

        Args:
            frame: ``(H, W, C)`` image.
            warp_mats: ``(N, 2, 3)`` from :meth:`warp_matrices`.
        """
        w, h = self.input_size
        if self.to_float32:
            frame = frame.astype(np.float32)
        out = np.empty((len(warp_mats), h, w) + frame.shape[2:], frame.dtype)
        for i, mat in enumerate(warp_mats):
            # dst= writes into the batch buffer: the same call TopdownAffine makes
            cv2.warpAffine(frame, mat, (w, h), dst=out[i], flags=cv2.INTER_LINEAR)
        return out

    def metainfo(self, frame_shape: Tuple[int, ...], centers: np.ndarray,
                 scales: np.ndarray) -> List[dict]:
        """Per-crop ``metainfo`` the test pipeline would pack (the keys models read)."""
        shape = tuple(frame_shape[:2])
        return [dict(img_shape=shape, ori_shape=shape, input_size=self.input_size,
                     input_center=c, input_scale=s, img_path=None)
                for c, s in zip(centers, scales)]

"""Data preprocessor for multi-frame (video clip) inputs of top-down models."""
from typing import Optional, Sequence, Union

import torch
from mmengine.model import ImgDataPreprocessor

from mmpose.registry import MODELS


@MODELS.register_module()
class VideoPoseDataPreprocessor(ImgDataPreprocessor):
    """Normalise a batch of frame stacks ``(T, 3, H, W)`` into a ``(B, T, 3, H, W)`` tensor.

    mmpose's ``PackPoseInputs`` turns a list of ``T`` crops (``results['img']`` as a list, as
    produced by :class:`~plugins.datasets.transforms.video_loading.LoadVideoFrames` and kept by
    mmpose's ``RandomFlip`` / ``TopdownAffine``) into one ``(T, 3, H, W)`` tensor per sample.
    mmengine's ``ImgDataPreprocessor`` only accepts ``(3, H, W)``; this one applies the same
    BGR->RGB conversion and mean/std normalisation to every frame of the stack.

    Args:
        mean (Sequence[float], optional): per-channel mean (3 values).
        std (Sequence[float], optional): per-channel std (3 values).
        bgr_to_rgb (bool): convert each frame from BGR to RGB.
        rgb_to_bgr (bool): convert each frame from RGB to BGR.
        non_blocking (bool): non-blocking host-to-device copies.
    """

    def __init__(self,
                 mean: Optional[Sequence[Union[float, int]]] = None,
                 std: Optional[Sequence[Union[float, int]]] = None,
                 bgr_to_rgb: bool = False,
                 rgb_to_bgr: bool = False,
                 non_blocking: Optional[bool] = False) -> None:
        super().__init__(mean=mean, std=std, bgr_to_rgb=bgr_to_rgb, rgb_to_bgr=rgb_to_bgr,
                         non_blocking=non_blocking)
        if self._enable_normalize and self.mean.shape[0] != 3:
            raise ValueError('VideoPoseDataPreprocessor: mean/std need 3 values (one per '
                             f'colour channel), got {self.mean.shape[0]}')

    def forward(self, data: dict, training: bool = False) -> dict:
        """Stack, convert and normalise.

        Args:
            data (dict): ``inputs`` (list of ``(T, 3, H, W)`` tensors or a ``(B, T, 3, H, W)``
                tensor) and ``data_samples``.
            training (bool): unused (no batch augmentation).

        Returns:
            dict: ``inputs`` as a float ``(B, T, 3, H, W)`` tensor and ``data_samples``.
        """
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, torch.Tensor):
            batch = inputs
        else:
            shapes = {tuple(x.shape) for x in inputs}
            if len(shapes) != 1:
                raise ValueError('VideoPoseDataPreprocessor: all samples of a batch must have '
                                 f'the same (T, 3, H, W) shape, got {sorted(shapes)}')
            batch = torch.stack(list(inputs))
        if batch.dim() != 5 or batch.shape[2] != 3:
            raise ValueError('VideoPoseDataPreprocessor expects (T, 3, H, W) frame stacks per '
                             f'sample, got a batch of shape {tuple(batch.shape)}')
        if self._channel_conversion:
            batch = batch[:, :, [2, 1, 0]]
        batch = batch.float()
        if self._enable_normalize:
            batch = (batch - self.mean.view(1, 1, 3, 1, 1)) / self.std.view(1, 1, 3, 1, 1)
        data['inputs'] = batch
        data.setdefault('data_samples', None)
        return data

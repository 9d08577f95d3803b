"""Data preprocessor for image pairs stacked along channels (H, W, 6)."""
from typing import Optional, Sequence

import torch
from mmengine.model import ImgDataPreprocessor
from mmpose.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class ImagePairDataPreprocessor(ImgDataPreprocessor):
    """Normalises both images of a pair the same way (mean/std of 3 channels, optional BGR to
    RGB), where mmengine's :class:`ImgDataPreprocessor` accepts only 1 or 3 channels.

    Args:
        mean, std: per-channel values of one image (3 values).
        bgr_to_rgb: swap channel order of each image.
    """

    def __init__(self,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 bgr_to_rgb: bool = False,
                 non_blocking: Optional[bool] = False) -> None:
        super().__init__(mean=mean, std=std, bgr_to_rgb=bgr_to_rgb,
                         non_blocking=non_blocking)

    def normalize_images(self, imgs: Tensor) -> Tensor:
        """Channel conversion and normalisation of single images.

        Args:
            imgs: (B, 3, H, W) in the loader's channel order (BGR for mmcv loading).

        Returns:
            (B, 3, H, W) float32.
        """
        if imgs.dim() != 4 or imgs.shape[1] != 3:
            raise ValueError(f'expected (B, 3, H, W) images, got {tuple(imgs.shape)}')
        if self._channel_conversion:
            imgs = imgs[:, [2, 1, 0]]
        imgs = imgs.float()
        if self._enable_normalize:
            imgs = (imgs - self.mean) / self.std
        return imgs

    def forward(self, data: dict, training: bool = False) -> dict:
        """Stack, convert and normalise a batch of pairs.

        Args:
            data: ``inputs`` a list of (6, H, W) tensors (or a (B, 6, H, W) tensor) and
                ``data_samples``.

        Returns:
            dict with ``inputs`` (B, 6, H, W) float32 and ``data_samples``.
        """
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            shapes = {tuple(x.shape) for x in inputs}
            if len(shapes) != 1:
                raise ValueError(f'image pairs of one batch must share a shape, got {shapes}')
            inputs = torch.stack(list(inputs))
        if inputs.dim() != 4 or inputs.shape[1] != 6:
            raise ValueError(f'expected image pairs (B, 6, H, W), got {tuple(inputs.shape)}')
        b, _, h, w = inputs.shape
        pairs = self.normalize_images(inputs.reshape(b * 2, 3, h, w))
        data['inputs'] = pairs.reshape(b, 6, h, w)
        data.setdefault('data_samples', None)
        return data

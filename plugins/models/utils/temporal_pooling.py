"""Learned temporal pooling of aligned heatmaps (the "parametric pooling" of Flowing ConvNets)."""
from typing import Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmpose.registry import MODELS

_INITS = ('current', 'mean')


@MODELS.register_module()
class TemporalPooling(BaseModule):
    """Fuse a temporal stack of heatmaps with a learned 1x1 convolution per joint.

    For joint ``k`` the output is ``sum_t w[k, t] * stack[:, t, k] + b[k]``: a 1x1 convolution over
    the ``T`` aligned heatmaps of that joint (a grouped ``Conv2d(K*T, K, 1, groups=K)``), the same
    weights at every pixel, separate weights per joint (Pfister et al., ICCV 2015).

    Args:
        num_frames (int): ``T``, frames in the stack (the current frame and its neighbours).
        num_keypoints (int): ``K``, heatmap channels.
        current_index (int): position of the current frame in the stack.
        init (str): ``'current'`` selects the current frame (weight 1 there, 0 elsewhere, bias 0:
            the fused output equals the current frame's heatmaps); ``'mean'`` averages the frames.
        init_cfg (dict, optional): mmengine init config; when given it replaces ``init``.
    """

    def __init__(self,
                 num_frames: int,
                 num_keypoints: int,
                 current_index: int = 0,
                 init: str = 'current',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_frames < 1 or num_keypoints < 1:
            raise ValueError(f'TemporalPooling: num_frames ({num_frames}) and num_keypoints '
                             f'({num_keypoints}) must be >= 1')
        if not 0 <= current_index < num_frames:
            raise ValueError(f'TemporalPooling: current_index {current_index} is outside '
                             f'[0, {num_frames})')
        if init not in _INITS:
            raise ValueError(f'TemporalPooling: init must be one of {_INITS}, got {init!r}')
        self.num_frames = num_frames
        self.num_keypoints = num_keypoints
        self.current_index = current_index
        self.init = init
        self.pool = nn.Conv2d(
            num_keypoints * num_frames, num_keypoints, kernel_size=1, groups=num_keypoints)
        self.reset_to_init()

    @torch.no_grad()
    def reset_to_init(self) -> None:
        """Set the weights to the configured ``init`` (``'current'`` or ``'mean'``)."""
        weight = torch.zeros(self.num_keypoints, self.num_frames)
        if self.init == 'current':
            weight[:, self.current_index] = 1.0
        else:
            weight[:] = 1.0 / self.num_frames
        self.pool.weight.copy_(weight.view(self.num_keypoints, self.num_frames, 1, 1))
        self.pool.bias.zero_()

    def init_weights(self) -> None:
        """Apply ``init_cfg`` if given, else the configured ``init``."""
        if self.init_cfg:
            super().init_weights()
        else:
            self.reset_to_init()

    @property
    def frame_weights(self) -> Tensor:
        """(K, T) the learned weight of each frame for each joint."""
        return self.pool.weight.detach().view(self.num_keypoints, self.num_frames)

    def forward(self, stack: Tensor) -> Tensor:
        """Pool the stack.

        Args:
            stack (Tensor): ``(B, T, K, H, W)`` heatmaps, all aligned with the current frame.

        Returns:
            Tensor: ``(B, K, H, W)`` fused heatmaps.
        """
        if stack.dim() != 5 or stack.shape[1:3] != (self.num_frames, self.num_keypoints):
            raise ValueError(
                f'TemporalPooling expects (B, T={self.num_frames}, K={self.num_keypoints}, H, W) '
                f'heatmaps, got shape {tuple(stack.shape)}')
        b, t, k, h, w = stack.shape
        # joint-major channel order (k0t0, k0t1, ..., k1t0, ...) so that group k sees joint k
        grouped = stack.transpose(1, 2).reshape(b, k * t, h, w)
        return self.pool(grouped)

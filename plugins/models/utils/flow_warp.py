"""Warping of images / heatmaps by dense optical flow with a batched ``grid_sample``.

Flow convention (the one of OpenCV's ``calcOpticalFlowFarneback(prev, next)``): ``flow`` is a
``(N, 2, H, W)`` tensor of pixel displacements ``(dx, dy)`` defined on the grid of the *target*
frame; pixel ``(x, y)`` of the target frame shows the content found at ``(x + dx, y + dy)`` in the
*source* frame. Warping the source into the target is therefore a backward lookup::

    warped[n, :, y, x] = source[n, :, y + flow[n, 1, y, x], x + flow[n, 0, y, x]]

evaluated with bilinear interpolation. Pixel ``i`` has coordinate ``i`` (pixel centres, the
``align_corners=True`` convention of ``grid_sample``), which is the convention of mmpose heatmaps.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

_PADDING_MODES = ('zeros', 'border', 'reflection')


def _check_flow(inputs: Tensor, flow: Tensor) -> None:
    """Raise a ``ValueError`` naming the mismatch between ``inputs`` and ``flow``."""
    if inputs.dim() != 4:
        raise ValueError(f'flow_warp: inputs must be (N, C, H, W), got shape {tuple(inputs.shape)}')
    if flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(f'flow_warp: flow must be (N, 2, H, W), got shape {tuple(flow.shape)}')
    if flow.shape[0] != inputs.shape[0] or flow.shape[2:] != inputs.shape[2:]:
        raise ValueError(f'flow_warp: flow shape {tuple(flow.shape)} does not match inputs '
                         f'shape {tuple(inputs.shape)} (batch and H, W must agree)')


def flow_to_sampling_grid(flow: Tensor) -> Tensor:
    """Turn pixel displacements into the normalised sampling grid of ``grid_sample``.

    Args:
        flow (Tensor): ``(N, 2, H, W)`` displacements ``(dx, dy)`` in pixels.

    Returns:
        Tensor: ``(N, H, W, 2)`` sampling locations in ``[-1, 1]`` for
        ``grid_sample(..., align_corners=True)``; values outside that range point outside the
        source frame.
    """
    n, _, h, w = flow.shape
    ys = torch.arange(h, dtype=flow.dtype, device=flow.device)
    xs = torch.arange(w, dtype=flow.dtype, device=flow.device)
    sample_x = xs.view(1, 1, w) + flow[:, 0]
    sample_y = ys.view(1, h, 1) + flow[:, 1]
    # with align_corners=True, -1 and +1 are the centres of the first and last pixels
    grid_x = sample_x * (2.0 / max(w - 1, 1)) - 1.0
    grid_y = sample_y * (2.0 / max(h - 1, 1)) - 1.0
    return torch.stack((grid_x, grid_y), dim=-1)


def flow_warp(inputs: Tensor,
              flow: Tensor,
              padding_mode: str = 'zeros',
              interpolation: str = 'bilinear') -> Tensor:
    """Warp ``inputs`` (the source frame) into the target frame given the target->source flow.

    Args:
        inputs (Tensor): ``(N, C, H, W)`` source images or heatmaps.
        flow (Tensor): ``(N, 2, H, W)`` target->source displacements in pixels (see module doc).
        padding_mode (str): value for samples that fall outside the source: ``'zeros'``
            (no evidence, the right choice for heatmaps), ``'border'`` (replicate the edge) or
            ``'reflection'``.
        interpolation (str): ``'bilinear'`` or ``'nearest'``.

    Returns:
        Tensor: ``(N, C, H, W)`` warped inputs, same dtype as ``inputs``.
    """
    _check_flow(inputs, flow)
    if padding_mode not in _PADDING_MODES:
        raise ValueError(f'flow_warp: padding_mode must be one of {_PADDING_MODES}, '
                         f'got {padding_mode!r}')
    grid = flow_to_sampling_grid(flow.to(inputs.dtype))
    return F.grid_sample(
        inputs, grid, mode=interpolation, padding_mode=padding_mode, align_corners=True)


def flow_valid_mask(flow: Tensor) -> Tensor:
    """Which target pixels sample a location inside the source frame.

    Args:
        flow (Tensor): ``(N, 2, H, W)`` target->source displacements in pixels.

    Returns:
        Tensor: ``(N, 1, H, W)`` bool, True where ``(x + dx, y + dy)`` lies in
        ``[0, W - 1] x [0, H - 1]``.
    """
    grid = flow_to_sampling_grid(flow)
    inside = (grid.abs() <= 1.0 + 1e-6).all(dim=-1)
    return inside.unsqueeze(1)


def resize_flow(flow: Tensor, size: Tuple[int, int]) -> Tensor:
    """Resample a flow field to another grid and rescale its vectors to the new pixel units.

    Used to bring a flow computed at the input-image resolution to the heatmap resolution.

    Args:
        flow (Tensor): ``(N, 2, H, W)`` displacements in pixels of the ``H x W`` grid.
        size (tuple[int, int]): output ``(h, w)``.

    Returns:
        Tensor: ``(N, 2, h, w)`` displacements in pixels of the ``h x w`` grid.
    """
    if flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(f'resize_flow: flow must be (N, 2, H, W), got {tuple(flow.shape)}')
    out_h, out_w = int(size[0]), int(size[1])
    in_h, in_w = flow.shape[2:]
    if (out_h, out_w) == (in_h, in_w):
        return flow
    downsample = out_h < in_h or out_w < in_w
    resized = F.interpolate(
        flow, size=(out_h, out_w), mode='bilinear', align_corners=False, antialias=downsample)
    scale = flow.new_tensor([out_w / in_w, out_h / in_h]).view(1, 2, 1, 1)
    return resized * scale

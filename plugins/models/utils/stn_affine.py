"""Affine warps of the symmetric spatial transformer network (RMPE, Fang et al. ICCV 2017).

Conventions (those of :func:`torch.nn.functional.affine_grid` with ``align_corners=False``):
``theta`` (B, 2, 3) maps a point ``p`` of the *output* in normalised coordinates
(``[-1, 1]`` spans the whole image extent, pixel edges included) to the point ``theta @ [p; 1]``
of the input it is sampled from. So

* the STN warps the crop: ``x'(p) = x(theta p)``;
* the SDTN maps a map predicted on ``x'`` back into the crop's frame with the inverse
  ``gamma``: ``h(q) = h'(gamma q)``, where ``[gamma1 gamma2] = [theta1 theta2]^-1`` and
  ``gamma3 = -[gamma1 gamma2] theta3`` (RMPE eq. 2);

and every operation is differentiable w.r.t. ``theta``, so losses computed in the crop frame
reach the localisation network through ``gamma``.

Heatmaps may not share the input's normalised frame: mmpose's ``MSRAHeatmap`` codec maps input
pixel ``u`` to heatmap pixel ``u * w / W`` (pixel centres on integers), which shifts the heatmap
extent by ``(W / w - 1) / 2`` input pixels. :func:`input_to_heatmap_affine` gives the exact map
between the two normalised frames, and :func:`conjugate_theta` carries ``theta`` over.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

#: How a top-down codec maps input pixels ``u`` to heatmap pixels ``v``:
#: ``'msra'``: ``v = u * w / W`` (MSRAHeatmap, MegviiHeatmap);
#: ``'udp'``: ``v = u * (w - 1) / (W - 1)`` (UDPHeatmap);
#: ``'extent'``: both images cover the same extent (their normalised frames coincide).
HEATMAP_ALIGNMENTS = ('msra', 'udp', 'extent')


def identity_theta(batch_size: int, dtype=torch.float32, device=None) -> Tensor:
    """``batch_size`` identity transforms, (B, 2, 3)."""
    eye = torch.eye(2, 3, dtype=dtype, device=device)
    return eye.unsqueeze(0).expand(batch_size, 2, 3).clone()


def check_theta(theta: Tensor) -> None:
    """Raise a ValueError unless ``theta`` has shape (B, 2, 3)."""
    if theta.dim() != 3 or theta.shape[1:] != (2, 3):
        raise ValueError(f'affine theta must have shape (B, 2, 3), got {tuple(theta.shape)}')


def invert_affine_theta(theta: Tensor) -> Tensor:
    """The inverse transform ``gamma`` of RMPE's SDTN.

    Args:
        theta: (B, 2, 3) affine transforms ``[theta1 theta2 theta3]``.

    Returns:
        (B, 2, 3) ``gamma`` with ``[gamma1 gamma2] = [theta1 theta2]^-1`` and
        ``gamma3 = -[gamma1 gamma2] theta3`` (closed-form 2x2 inverse, differentiable).
    """
    check_theta(theta)
    a, b, c, d = theta[:, 0, 0], theta[:, 0, 1], theta[:, 1, 0], theta[:, 1, 1]
    det = a * d - b * c
    inv = torch.stack([torch.stack([d, -b], -1), torch.stack([-c, a], -1)], -2) / det[:, None,
                                                                                     None]
    gamma3 = -(inv @ theta[:, :, 2:])
    return torch.cat([inv, gamma3], dim=2)


def compose_affine_theta(first: Tensor, second: Tensor) -> Tensor:
    """The transform of applying ``first`` then ``second`` to points: ``second @ first``.

    Args:
        first: (B, 2, 3).
        second: (B, 2, 3).

    Returns:
        (B, 2, 3) ``theta`` with ``theta p = second(first(p))``.
    """
    check_theta(first)
    check_theta(second)
    lin = second[:, :, :2] @ first[:, :, :2]
    trans = second[:, :, :2] @ first[:, :, 2:] + second[:, :, 2:]
    return torch.cat([lin, trans], dim=2)


def apply_affine_to_points(points: Tensor, theta: Tensor) -> Tensor:
    """``theta @ [p; 1]`` for points in normalised coordinates.

    Args:
        points: (B, N, 2) ``(x, y)``.
        theta: (B, 2, 3).

    Returns:
        (B, N, 2).
    """
    check_theta(theta)
    return points @ theta[:, :, :2].transpose(1, 2) + theta[:, None, :, 2]


def affine_warp(x: Tensor,
                theta: Tensor,
                out_size: Optional[Sequence[int]] = None,
                padding_mode: str = 'zeros') -> Tensor:
    """Sample ``x`` on the grid ``theta`` maps the output onto: ``out(p) = x(theta p)``.

    Args:
        x: (B, C, H, W) images or heatmaps.
        theta: (B, 2, 3), same dtype and device as ``x``.
        out_size: ``(H_out, W_out)`` of the result (default: those of ``x``).
        padding_mode: ``grid_sample``'s padding for samples outside ``x``.

    Returns:
        (B, C, H_out, W_out) bilinear samples.
    """
    check_theta(theta)
    if x.dim() != 4 or theta.shape[0] != x.shape[0]:
        raise ValueError(f'affine_warp: x must be (B, C, H, W) with B = {theta.shape[0]} '
                         f'transforms, got {tuple(x.shape)}')
    h, w = (x.shape[2], x.shape[3]) if out_size is None else out_size
    grid = F.affine_grid(theta.to(x.dtype), [x.shape[0], x.shape[1], h, w], align_corners=False)
    return F.grid_sample(
        x, grid, mode='bilinear', padding_mode=padding_mode, align_corners=False)


def spatial_transform(x: Tensor, theta: Tensor) -> Tensor:
    """STN: the crop as the SPPE sees it, ``x'(p) = x(theta p)``."""
    return affine_warp(x, theta)


def spatial_detransform(maps: Tensor, theta: Tensor) -> Tensor:
    """SDTN: maps predicted on the STN output taken back to the crop frame, ``h(q) = h'(gamma q)``.

    Args:
        maps: (B, K, h, w) predicted on ``spatial_transform(x, theta)``.
        theta: (B, 2, 3) the STN's transform, in the normalised frame of ``maps``.

    Returns:
        (B, K, h, w) in the frame of ``x``.
    """
    return affine_warp(maps, invert_affine_theta(theta))


def input_to_heatmap_affine(input_size: Tuple[int, int],
                            heatmap_size: Tuple[int, int],
                            alignment: str = 'msra',
                            dtype=torch.float32,
                            device=None) -> Tensor:
    """The affine map from input-normalised to heatmap-normalised coordinates.

    Args:
        input_size: ``(W, H)`` of the model input.
        heatmap_size: ``(w, h)`` of the heatmaps.
        alignment: one of :data:`HEATMAP_ALIGNMENTS`.

    Returns:
        (2, 3) ``M`` with ``n_heatmap = M @ [n_input; 1]`` (diagonal linear part).
    """
    if alignment not in HEATMAP_ALIGNMENTS:
        raise ValueError(f'alignment must be one of {HEATMAP_ALIGNMENTS}, got {alignment!r}')
    rows = []
    for axis, (big, small) in enumerate(zip(input_size, heatmap_size)):
        if alignment == 'extent':  # (v + 0.5) / small = (u + 0.5) / big: same normalised frame
            scale, shift = 1.0, 0.0
        else:
            # n_i = (2u + 1) / big - 1, v = ratio * u, n_h = (2v + 1) / small - 1
            ratio = small / big if alignment == 'msra' else (small - 1) / max(big - 1, 1)
            scale = ratio * big / small
            shift = (ratio * (big - 1) + 1) / small - 1
        row = [0.0, 0.0, shift]
        row[axis] = scale
        rows.append(row)
    return torch.tensor(rows, dtype=dtype, device=device)


def conjugate_theta(theta: Tensor, frame_map: Tensor) -> Tensor:
    """Express ``theta`` (a transform in one normalised frame) in another frame.

    Args:
        theta: (B, 2, 3) in frame A.
        frame_map: (2, 3) map from frame A to frame B coordinates.

    Returns:
        (B, 2, 3) ``M theta M^-1`` acting on frame-B coordinates.
    """
    m = frame_map.to(theta).unsqueeze(0).expand(theta.shape[0], 2, 3)
    return compose_affine_theta(compose_affine_theta(invert_affine_theta(m), theta), m)

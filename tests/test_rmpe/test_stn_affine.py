"""STN / SDTN affine warps: inverse, round trips, gradients, heatmap frames."""
import math

import pytest
import torch

from plugins.models.utils.stn_affine import (affine_warp, apply_affine_to_points,
                                             compose_affine_theta, conjugate_theta,
                                             identity_theta, input_to_heatmap_affine,
                                             invert_affine_theta, spatial_detransform,
                                             spatial_transform)


def random_theta(batch: int, seed: int, scale=(0.55, 0.7), dtype=torch.float64) -> torch.Tensor:
    """Zoom-in transforms (scale < 1) with rotation, shear and translation."""
    g = torch.Generator().manual_seed(seed)
    s = torch.empty(batch, dtype=dtype).uniform_(*scale, generator=g)
    angle = torch.empty(batch, dtype=dtype).uniform_(-0.4, 0.4, generator=g)
    shear = torch.empty(batch, dtype=dtype).uniform_(-0.1, 0.1, generator=g)
    trans = torch.empty(batch, 2, dtype=dtype).uniform_(-0.12, 0.12, generator=g)
    c, sn = torch.cos(angle), torch.sin(angle)
    lin = torch.stack([torch.stack([c, -sn + shear], -1), torch.stack([sn, c], -1)], -2)
    return torch.cat([s[:, None, None] * lin, trans[..., None]], dim=2)


def test_inverse_matches_the_paper_formula_and_composes_to_identity():
    theta = random_theta(5, seed=0)
    gamma = invert_affine_theta(theta)
    lin_inv = torch.linalg.inv(theta[:, :, :2])
    torch.testing.assert_close(gamma[:, :, :2], lin_inv)
    torch.testing.assert_close(gamma[:, :, 2:], -lin_inv @ theta[:, :, 2:])  # gamma3
    eye = identity_theta(5, dtype=torch.float64)
    torch.testing.assert_close(compose_affine_theta(theta, gamma), eye)
    torch.testing.assert_close(compose_affine_theta(gamma, theta), eye)


def test_points_round_trip():
    theta = random_theta(3, seed=1)
    pts = torch.rand(3, 11, 2, dtype=torch.float64) * 2 - 1
    back = apply_affine_to_points(apply_affine_to_points(pts, theta), invert_affine_theta(theta))
    torch.testing.assert_close(back, pts)


def test_identity_warp_copies_the_image():
    x = torch.rand(2, 3, 9, 7)
    torch.testing.assert_close(spatial_transform(x, identity_theta(2)), x, atol=1e-6,
                               rtol=0)


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_stn_then_sdtn_is_identity_for_random_theta(seed):
    """Bilinear sampling reproduces a linear image exactly, so on every pixel whose sample
    stays inside the warped image the round trip must give the input back (float64)."""
    h, w = 24, 20
    theta = random_theta(2, seed=seed)
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64),
                            torch.arange(w, dtype=torch.float64), indexing='ij')
    image = torch.stack([0.3 * xs - 0.2 * ys + 1.0, 0.05 * xs + 0.4 * ys - 2.0])  # 2 channels
    image = image.expand(2, 2, h, w).contiguous()
    # zoom-in: every STN sample lies inside the image (between pixel centres)
    corners = torch.tensor([[-1., -1.], [1., -1.], [-1., 1.], [1., 1.]], dtype=torch.float64)
    src = apply_affine_to_points(corners.expand(2, 4, 2), theta)
    assert (src[..., 0].abs() <= 1 - 1 / w).all() and (src[..., 1].abs() <= 1 - 1 / h).all()
    back = spatial_detransform(spatial_transform(image, theta), theta)
    # pixels whose SDTN sample (gamma q) lies between the warped image's pixel centres
    gx = (2 * torch.arange(w, dtype=torch.float64) + 1) / w - 1
    gy = (2 * torch.arange(h, dtype=torch.float64) + 1) / h - 1
    grid = torch.stack(torch.meshgrid(gy, gx, indexing='ij')[::-1], -1).reshape(1, -1, 2)
    sample = apply_affine_to_points(grid.expand(2, -1, 2), invert_affine_theta(theta))
    inside = (sample[..., 0].abs() <= 1 - 1 / w) & (sample[..., 1].abs() <= 1 - 1 / h)
    inside = inside.reshape(2, 1, h, w).expand_as(image)
    assert inside.float().mean() > 0.25  # the check covers a real part of the crop
    torch.testing.assert_close(back[inside], image[inside], atol=1e-9, rtol=0)


def test_sdtn_gradient_wrt_theta_matches_finite_differences():
    torch.manual_seed(0)
    maps = torch.rand(2, 2, 5, 6, dtype=torch.float64)
    theta = random_theta(2, seed=5, scale=(0.8, 1.1)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: spatial_detransform(maps, t), (theta, ),
                                    eps=1e-6, atol=1e-5)


def test_stn_sdtn_chain_gradient_wrt_theta_matches_finite_differences():
    torch.manual_seed(1)
    crop = torch.rand(1, 2, 6, 5, dtype=torch.float64)
    weight = torch.rand(1, 2, 6, 5, dtype=torch.float64)
    theta = random_theta(1, seed=6, scale=(0.8, 1.1)).requires_grad_(True)

    def loss(t):  # loss in the crop frame, after STN and SDTN with the same theta
        return (spatial_detransform(spatial_transform(crop, t), t) * weight).sum()

    assert torch.autograd.gradcheck(loss, (theta, ), eps=1e-6, atol=1e-5)
    grad, = torch.autograd.grad(loss(theta), theta)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


@pytest.mark.parametrize('alignment', ['msra', 'udp', 'extent'])
def test_input_to_heatmap_affine_matches_the_codec_pixel_maps(alignment):
    (big_w, big_h), (small_w, small_h) = (32, 40), (8, 10)
    frame = input_to_heatmap_affine((big_w, big_h), (small_w, small_h), alignment,
                                    dtype=torch.float64)
    u = torch.tensor([[3.0, 7.0], [10.0, 25.5], [31.0, 39.0]], dtype=torch.float64)
    if alignment == 'msra':  # MSRAHeatmap: v = u * w / W
        v = u * torch.tensor([small_w / big_w, small_h / big_h], dtype=torch.float64)
    elif alignment == 'udp':  # UDPHeatmap: v = u * (w - 1) / (W - 1)
        v = u * torch.tensor([(small_w - 1) / (big_w - 1), (small_h - 1) / (big_h - 1)],
                             dtype=torch.float64)
    else:  # same extent: (v + 0.5) / w = (u + 0.5) / W
        v = (u + 0.5) * torch.tensor([small_w / big_w, small_h / big_h],
                                     dtype=torch.float64) - 0.5
    big = torch.tensor([big_w, big_h], dtype=torch.float64)
    small = torch.tensor([small_w, small_h], dtype=torch.float64)
    n_in = (2 * u + 1) / big - 1
    n_hm = (2 * v + 1) / small - 1
    torch.testing.assert_close(apply_affine_to_points(n_in[None], frame[None]), n_hm[None])


def test_conjugated_theta_maps_heatmap_points_like_theta_maps_input_points():
    theta = random_theta(3, seed=7)
    frame = input_to_heatmap_affine((48, 64), (12, 16), 'msra', dtype=torch.float64)
    theta_hm = conjugate_theta(theta, frame)
    p = torch.rand(3, 5, 2, dtype=torch.float64) * 2 - 1
    m = frame.expand(3, 2, 3)
    torch.testing.assert_close(
        apply_affine_to_points(apply_affine_to_points(p, m), theta_hm),
        apply_affine_to_points(apply_affine_to_points(p, theta), m))


def test_warp_rejects_bad_shapes():
    with pytest.raises(ValueError, match='theta'):
        affine_warp(torch.rand(1, 1, 4, 4), torch.rand(1, 3, 3))
    with pytest.raises(ValueError, match='B, C, H, W'):
        affine_warp(torch.rand(1, 4, 4), torch.rand(1, 2, 3))
    assert math.isfinite(float(invert_affine_theta(identity_theta(1)).sum()))

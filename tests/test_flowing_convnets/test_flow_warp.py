"""Flow warping (batched grid_sample) against shifted images, closed forms and OpenCV remap."""
import cv2
import numpy as np
import pytest
import torch

from plugins.models.utils.flow_warp import flow_valid_mask, flow_warp, resize_flow


def _constant_flow(n, h, w, dx, dy):
    flow = torch.zeros(n, 2, h, w)
    flow[:, 0] = dx
    flow[:, 1] = dy
    return flow


@pytest.mark.parametrize('dx,dy', [(3, -2), (-5, 4), (0, 7)])
def test_integer_shift_equals_shifted_image(dx, dy):
    torch.manual_seed(0)
    h, w = 20, 30
    src = torch.rand(2, 3, h, w)
    out = flow_warp(src, _constant_flow(2, h, w, dx, dy), padding_mode='zeros')
    # reference by slicing: out[y, x] = src[y + dy, x + dx] where that is inside, else 0
    ref = torch.zeros_like(src)
    ys, xs = slice(max(0, -dy), min(h, h - dy)), slice(max(0, -dx), min(w, w - dx))
    ys_src, xs_src = slice(ys.start + dy, ys.stop + dy), slice(xs.start + dx, xs.stop + dx)
    ref[:, :, ys, xs] = src[:, :, ys_src, xs_src]
    assert torch.allclose(out, ref, atol=1e-5)


def test_border_padding_replicates_edge():
    torch.manual_seed(1)
    src = torch.rand(1, 1, 8, 10)
    out = flow_warp(src, _constant_flow(1, 8, 10, 4, 0), padding_mode='border')
    # columns whose sample x + 4 > 9 take the last column
    assert torch.allclose(out[..., 6:], src[..., 9:10].expand(-1, -1, -1, 4), atol=1e-6)
    assert torch.allclose(out[..., :6], src[..., 4:], atol=1e-6)


def test_subpixel_shift_is_exact_on_a_linear_ramp():
    h, w = 16, 24
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32),
                            torch.arange(w, dtype=torch.float32), indexing='ij')
    ramp = (0.7 * xs - 0.3 * ys + 2.0)[None, None]
    dx, dy = 1.25, -0.6
    out = flow_warp(ramp, _constant_flow(1, h, w, dx, dy))
    expected = 0.7 * (xs + dx) - 0.3 * (ys + dy) + 2.0
    inside = (xs + dx <= w - 1) & (ys + dy >= 0)
    assert torch.allclose(out[0, 0][inside], expected[inside], atol=1e-4)


def test_random_flows_match_opencv_remap_per_sample():
    rng = np.random.default_rng(0)
    n, c, h, w = 3, 2, 24, 32
    src = cv2.GaussianBlur(rng.random((n * c, h, w)).astype(np.float32).transpose(1, 2, 0),
                           (0, 0), 2.0).transpose(2, 0, 1).reshape(n, c, h, w)
    flow = (rng.standard_normal((n, 2, h, w)) * 3).astype(np.float32)
    out = flow_warp(torch.from_numpy(src), torch.from_numpy(flow)).numpy()
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    for i in range(n):  # independent reference: OpenCV, one sample at a time
        map_x, map_y = gx + flow[i, 0], gy + flow[i, 1]
        ref = cv2.remap(np.ascontiguousarray(src[i].transpose(1, 2, 0)), map_x, map_y,
                        cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        # OpenCV interpolates with 1/32-pixel fixed-point weights
        assert np.abs(out[i].transpose(1, 2, 0) - ref).max() < 2e-2


def test_valid_mask_counts_in_frame_samples():
    mask = flow_valid_mask(_constant_flow(1, 10, 12, 3, -2))
    assert mask.shape == (1, 1, 10, 12)
    assert int(mask.sum()) == (12 - 3) * (10 - 2)
    assert not mask[0, 0, 0, 0] and mask[0, 0, 5, 0] and not mask[0, 0, 5, 11]


def test_warp_is_differentiable_in_the_heatmaps():
    src = torch.rand(1, 2, 8, 8, requires_grad=True)
    flow_warp(src, _constant_flow(1, 8, 8, 0.5, 0.5)).sum().backward()
    assert src.grad is not None and src.grad.abs().sum() > 0


def test_resize_flow_scales_vectors_to_the_new_grid():
    flow = _constant_flow(2, 64, 48, 8.0, -4.0)
    small = resize_flow(flow, (16, 12))
    assert small.shape == (2, 2, 16, 12)
    assert torch.allclose(small[:, 0], torch.full((2, 16, 12), 2.0), atol=1e-5)
    assert torch.allclose(small[:, 1], torch.full((2, 16, 12), -1.0), atol=1e-5)


def test_bad_shapes_raise_clear_errors():
    with pytest.raises(ValueError, match='flow must be'):
        flow_warp(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))
    with pytest.raises(ValueError, match='does not match'):
        flow_warp(torch.rand(1, 3, 8, 8), torch.rand(1, 2, 8, 9))
    with pytest.raises(ValueError, match='padding_mode'):
        flow_warp(torch.rand(1, 3, 8, 8), torch.rand(1, 2, 8, 8), padding_mode='wrap')

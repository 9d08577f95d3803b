"""plugins.utils.optical_flow: known shifts, bilinear lookup vs OpenCV remap, warping, cache."""
import cv2
import numpy as np
import pytest

from plugins.utils.optical_flow import (FlowCache, compute_flow, resize_flow, sample_flow,
                                        warp_points, warp_to_source)


def textured_patch(h=50, w=40, seed=0):
    rng = np.random.default_rng(seed)
    tex = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
    return cv2.GaussianBlur(tex, (5, 5), 1.0)


def scene(x, y, patch, size=(120, 160)):
    img = np.full(size + (3, ), 90, np.uint8)
    img[y:y + patch.shape[0], x:x + patch.shape[1]] = patch
    return img


@pytest.mark.parametrize('method', ['dis', 'farneback'])
def test_flow_recovers_known_shift(method):
    patch = textured_patch()
    a, b = scene(30, 30, patch), scene(37, 34, patch)
    flow = compute_flow(a, b, method)
    assert flow.shape == (120, 160, 2) and flow.dtype == np.float32
    inner = flow[40:70, 40:60].reshape(-1, 2)
    np.testing.assert_allclose(np.median(inner, axis=0), [7, 4], atol=0.3)
    pts = np.array([[45., 45.], [55., 60.]], np.float32)
    np.testing.assert_allclose(warp_points(pts, flow), pts + [7, 4], atol=0.5)


def test_sample_flow_matches_cv2_remap():
    rng = np.random.default_rng(1)
    flow = rng.normal(size=(30, 40, 2)).astype(np.float32)
    pts = np.stack([rng.uniform(0, 39, 300), rng.uniform(0, 29, 300)], 1).astype(np.float32)
    ref = cv2.remap(flow, np.ascontiguousarray(pts[None, :, 0]),
                    np.ascontiguousarray(pts[None, :, 1]), cv2.INTER_LINEAR)[0]
    # OpenCV interpolates with 1/32-pixel fixed-point weights
    np.testing.assert_allclose(sample_flow(flow, pts), ref, atol=0.07)
    # exact at integer points; clamped outside; shape (..., 2) kept
    np.testing.assert_array_equal(sample_flow(flow, np.array([[3., 2.]])), flow[2:3, 3])
    np.testing.assert_array_equal(sample_flow(flow, np.array([[-5., 100.]])), flow[29:30, 0])
    assert sample_flow(flow, np.zeros((4, 17, 2))).shape == (4, 17, 2)


def test_warp_points_constant_flow():
    flow = np.zeros((20, 30, 2), np.float32)
    flow[..., 0], flow[..., 1] = 2.5, -1.0
    pts = np.random.default_rng(0).uniform(0, 19, (3, 5, 2))
    np.testing.assert_allclose(warp_points(pts, flow), pts + [2.5, -1.0], atol=1e-5)


def test_warp_to_source_aligns_destination_with_source():
    patch = textured_patch()
    a, b = scene(30, 30, patch), scene(37, 34, patch)
    flow = np.zeros((120, 160, 2), np.float32)
    flow[..., 0], flow[..., 1] = 7, 4  # the true flow a -> b
    warped = warp_to_source(b.astype(np.float32), flow)
    np.testing.assert_array_equal(warped[30:80, 30:70], a[30:80, 30:70].astype(np.float32))
    # many channels (heatmaps) and another resolution: flow resized and rescaled
    maps = np.zeros((60, 80, 17), np.float32)
    maps[20, 40, :] = 1.0
    out = warp_to_source(maps, flow)  # flow of 7 px at full res = 3.5 px at half res
    assert out.shape == (60, 80, 17)
    assert out[18, 36, 3] == pytest.approx(0.5) and out[18, 37, 3] == pytest.approx(0.5)
    assert out.sum() == pytest.approx(17.0)


def test_resize_flow_scales_vectors():
    flow = np.ones((40, 60, 2), np.float32) * [3.0, 2.0]
    small = resize_flow(flow, (30, 10))
    assert small.shape == (10, 30, 2)
    np.testing.assert_allclose(small[..., 0], 1.5)
    np.testing.assert_allclose(small[..., 1], 0.5)


def test_flow_cache_memory_and_disk(tmp_path):
    patch = textured_patch()
    a, b = scene(30, 30, patch), scene(33, 31, patch)
    loads = []

    def load(img):
        def f():
            loads.append(1)
            return img
        return f

    cache = FlowCache('farneback', cache_dir=str(tmp_path), max_items=1)
    f1 = cache.get('vid/01', 0, 1, load(a), load(b))
    f2 = cache.get('vid/01', 0, 1, load(a), load(b))
    assert f1 is f2 and cache.hits == 1 and cache.misses == 1 and len(loads) == 2
    path = cache.path('vid/01', 0, 1)
    assert path.startswith(str(tmp_path)) and path.endswith('000000_000001.npy')
    fresh = FlowCache('farneback', cache_dir=str(tmp_path))
    f3 = fresh.get('vid/01', 0, 1, load(a), load(b))
    assert len(loads) == 2, 'a disk hit must not load the frames'
    np.testing.assert_allclose(f3, f1, atol=2e-2)  # stored as float16
    cache.get('vid/01', 1, 0, b, a)
    assert len(cache) == 1  # LRU of size 1


def test_bad_inputs_raise_clear_errors():
    img = np.zeros((20, 30, 3), np.uint8)
    with pytest.raises(ValueError, match='equal size'):
        compute_flow(img, np.zeros((21, 30, 3), np.uint8))
    with pytest.raises(ValueError, match='method'):
        compute_flow(img, img, 'lucas')
    with pytest.raises(ValueError, match=r'\(H, W, 3\)'):
        compute_flow(np.zeros((20, 30, 4), np.uint8), img)
    with pytest.raises(ValueError, match='flow must have shape'):
        warp_points(np.zeros((1, 2)), np.zeros((5, 5, 3)))
    with pytest.raises(ValueError, match='points'):
        sample_flow(np.zeros((5, 5, 2)), np.zeros((3, 3)))

"""The video-aware data pipeline: (frame, neighbours) samples, cached flow, consistent crops."""
import os.path as osp

import numpy as np
import pytest
import torch
from flowing_tiny_video import NUM_FRAMES, NUM_PERSONS, PAN, VIDEO, panning_frames
from mmengine.registry import init_default_scope

from mmpose.registry import DATASETS, TRANSFORMS
from plugins.datasets.transforms.video_topdown_affine import flip_flow_field, warp_flow_field
from plugins.models.utils.flow_warp import flow_warp


def _dataset(root, **kwargs):
    init_default_scope('mmpose')
    cfg = dict(type='VideoFrameNeighboursDataset', data_root=str(root),
               ann_file='annotations/val.json', data_prefix=dict(img=''), test_mode=True,
               neighbour_offsets=(-1, 1, 2))
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_samples_name_their_neighbours_clipped_at_the_video_ends(tiny_video_root):
    for source in (dict(video_ann_dir='annotations/val'), dict()):  # per-video file, disk
        ds = _dataset(tiny_video_root, **source)
        assert len(ds) == NUM_FRAMES * NUM_PERSONS and ds.num_frames == 4
        by_frame = {ds[i]['frame_index']: ds[i] for i in range(len(ds))}
        expected = {0: [0, 0, 1, 2], 2: [2, 1, 3, 4], 4: [4, 3, 4, 4]}
        for index, frames in expected.items():
            info = by_frame[index]
            names = [osp.basename(p) for p in info['frame_paths']]
            assert names == [f'{k:06d}.jpg' for k in frames]
            assert info['neighbour_frame_indices'] == frames[1:]
            assert info['video_name'] == VIDEO
            assert info['img_path'] == info['frame_paths'][0]


def test_offset_zero_is_rejected(tiny_video_root):
    with pytest.raises(ValueError, match='must not contain 0'):
        _dataset(tiny_video_root, neighbour_offsets=(-1, 0, 1))


def test_load_video_frames_gives_consistent_lists(tiny_video_root, tmp_path):
    init_default_scope('mmpose')
    load = TRANSFORMS.build(dict(type='LoadVideoFrames'))
    d = tiny_video_root / 'images' / 'val' / VIDEO
    paths = [str(d / f'{k:06d}.jpg') for k in (2, 1, 3)]
    out = load(dict(frame_paths=paths))
    assert len(out['img']) == 3 and out['img_path'] == paths[0]
    assert out['img_shape'] == out['img'][0].shape[:2]
    import cv2
    cv2.imwrite(str(tmp_path / 'small.jpg'), np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError, match='differ in size'):
        load(dict(frame_paths=[paths[0], str(tmp_path / 'small.jpg')]))


def test_flow_is_cached_per_video_and_matches_the_known_pan(tiny_video_root):
    init_default_scope('mmpose')
    ds = _dataset(tiny_video_root, neighbour_offsets=(-1, 1),
                  pipeline=[dict(type='LoadVideoFrames'), dict(type='VideoComputeFlow')])
    step = ds.pipeline.transforms[1]
    first = ds[4]  # frame 2, person 0
    assert step.cache.misses == 2 and step.cache.hits == 0
    second = ds[5]  # frame 2, person 1: same flows, from the cache
    assert second['frame_index'] == first['frame_index'] == 2
    assert step.cache.misses == 2 and step.cache.hits == 2
    flows = first['flows']  # (2, H, W, 2): frame 2 -> frame 1, frame 2 -> frame 3
    inner = flows[:, 16:-16, 16:-16]
    assert np.allclose(np.median(inner[0].reshape(-1, 2), 0), [-PAN[0], -PAN[1]], atol=0.3)
    assert np.allclose(np.median(inner[1].reshape(-1, 2), 0), [PAN[0], PAN[1]], atol=0.3)
    # a neighbour clipped to the current frame has zero flow (and is not computed)
    last = ds[2 * (NUM_FRAMES - 1)]
    assert last['frame_index'] == NUM_FRAMES - 1 and not last['flows'][1].any()


def test_flow_field_affine_and_flip_closed_form():
    flows = np.zeros((1, 30, 40, 2), np.float32)
    flows[..., 0], flows[..., 1] = 2.0, -1.0
    angle = np.deg2rad(30)
    a = 0.5 * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    mat = np.concatenate([a, [[3.0], [4.0]]], axis=1).astype(np.float32)
    out = warp_flow_field(flows, mat, (20, 15))
    assert out.shape == (1, 2, 15, 20)
    assert np.allclose(out[0, :, 7, 8], a @ np.array([2.0, -1.0]), atol=1e-5)
    flipped = flip_flow_field(flows + np.arange(40, dtype=np.float32)[None, None, :, None],
                              'horizontal')
    assert np.allclose(flipped[0, 0, 0], [-(2.0 + 39), -1.0 + 39])
    with pytest.raises(ValueError, match='direction'):
        flip_flow_field(flows, 'sideways')


@pytest.mark.parametrize('flip,rotation', [(False, 0.0), (True, 25.0)])
def test_crop_flow_aligns_the_neighbour_crop_with_the_current_crop(flip, rotation):
    """The crop of frame t+1 warped by the crop flow (flipped, rotated, scaled like the crops)
    reproduces the crop of frame t: the whole geometric chain is consistent."""
    init_default_scope('mmpose')
    frames = panning_frames(num_frames=2)
    h, w = frames[0].shape[:2]
    full_flow = np.zeros((1, h, w, 2), np.float32)
    full_flow[..., 0], full_flow[..., 1] = PAN  # exact flow frame 0 -> frame 1
    results = dict(img=frames, img_shape=(h, w), flows=full_flow,
                   bbox=np.array([[30, 20, 90, 80]], np.float32), bbox_score=np.ones(1),
                   bbox_rotation=np.array([rotation], np.float32),
                   keypoints=np.zeros((1, 17, 2), np.float32),
                   keypoints_visible=np.ones((1, 17), np.float32), flip_indices=list(range(17)))
    steps = [dict(type='GetBBoxCenterScale', padding=1.0),
             dict(type='RandomFlip', prob=1.0 if flip else 0.0, direction='horizontal'),
             dict(type='VideoTopdownAffine', input_size=(48, 64))]
    for step in steps:
        results = TRANSFORMS.build(step)(results)
    assert results['flip'] == flip
    current, neighbour = (torch.from_numpy(c.astype(np.float32)).permute(2, 0, 1)[None]
                          for c in results['img'])
    flow = torch.from_numpy(results['flows'])  # (1, 2, 64, 48)
    assert flow.shape == (1, 2, 64, 48)
    aligned = flow_warp(neighbour, flow)
    inner = (slice(None), slice(None), slice(6, -6), slice(6, -6))
    err_aligned = (aligned - current)[inner].abs().mean()
    err_raw = (neighbour - current)[inner].abs().mean()
    assert err_aligned < 2.0 < err_raw

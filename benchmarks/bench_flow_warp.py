"""Cost of the Flowing ConvNet's temporal alignment: optical flow + heatmap warping.

Prints frames/s of (a) OpenCV dense flow from the current frame to one neighbour, at the
synthetic-data frame size and on the model crop, (b) the crop transform of a full-frame flow,
(c) warping the neighbours' heatmaps at the model's heatmap size with the batched
``grid_sample`` of ``plugins.models.utils.flow_warp`` against a per-frame ``cv2.remap`` loop
(baseline, same process), and (d) the whole alignment per frame against the heatmap net's own
forward pass on that frame (the ratio says what fraction of the model time the flow adds).

    .venv/bin/python benchmarks/bench_flow_warp.py [--repeats 5] [--threads 1]

Times are CPU seconds of this process (single-threaded by default), best of ``--repeats``.
"""
import argparse
import os.path as osp
import sys
import time
from typing import Callable

import cv2
import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from plugins.datasets.transforms.video_topdown_affine import warp_flow_field  # noqa: E402
from plugins.models.utils.flow_warp import flow_warp  # noqa: E402
from plugins.utils.optical_flow import compute_flow  # noqa: E402

FRAME_SIZE = (384, 288)  # (w, h) of the synthetic videos
INPUT_SIZE = (96, 128)  # (w, h) model input of the synthetic configs
HEATMAP_SIZE = (24, 32)  # (w, h) heatmaps of the synthetic configs
NUM_KEYPOINTS = 17
NUM_NEIGHBOURS = 2
BATCH = 32


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """Minimum CPU time of ``repeats`` calls (after one warm-up), in seconds.

    CPU time of the process (``time.process_time``) rather than wall time: with one thread it
    does not depend on how busy a shared machine is.
    """
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def textured_pair(size, shift=(3, -2), seed=0):
    """Two BGR frames of a smooth random texture, the second moved by ``shift`` pixels."""
    w, h = size
    rng = np.random.default_rng(seed)
    big = cv2.GaussianBlur(rng.random((h + 20, w + 20, 3)).astype(np.float32), (0, 0), 2.0)
    big = cv2.normalize(big, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    a = big[10:10 + h, 10:10 + w]
    b = big[10 - shift[1]:10 - shift[1] + h, 10 - shift[0]:10 - shift[0] + w]
    return np.ascontiguousarray(a), np.ascontiguousarray(b)


def heatmap_net():
    """The heatmap net of the synthetic configs (half-width ResNet-18 + HeatmapHead)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import plugins  # noqa: F401
    from mmpose.registry import MODELS
    cfg = Config.fromfile(osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'projects',
                                   'flowing_convnets', 'configs',
                                   'heatmapnet_res18-half_synthetic-128x96.py'))
    init_default_scope('mmpose')
    return MODELS.build(cfg.model).eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--threads', type=int, default=1, help='torch / OpenCV threads')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    r = args.repeats
    print(f'threads={args.threads}, CPU time, best of {r}; frames {FRAME_SIZE}, '
          f'input {INPUT_SIZE}, heatmaps {HEATMAP_SIZE} x {NUM_KEYPOINTS} joints, {NUM_NEIGHBOURS} neighbours')

    # (a) optical flow, one frame pair
    full_a, full_b = textured_pair(FRAME_SIZE)
    crop_a, crop_b = textured_pair(INPUT_SIZE)
    rows = []
    for method, preset in (('dis', 'ultrafast'), ('dis', 'fast'), ('farneback', None)):
        kw = dict(dis_preset=preset) if preset else {}
        name = method + (f'-{preset}' if preset else '')
        t_full = best_time(lambda: compute_flow(full_a, full_b, method, **kw), r)
        t_crop = best_time(lambda: compute_flow(crop_a, crop_b, method, **kw), r)
        rows.append((name, t_full, t_crop))
        print(f'flow {name:>14}: full frame {1 / t_full:8.1f} pairs/s   '
              f'crop {1 / t_crop:8.1f} pairs/s')
    flow_full = compute_flow(full_a, full_b, 'dis', dis_preset='ultrafast')

    # (b) crop transform of a cached full-frame flow (what VideoTopdownAffine does)
    mat = cv2.getRotationMatrix2D((FRAME_SIZE[0] / 2, FRAME_SIZE[1] / 2), 15, 0.5)
    t_crop_flow = best_time(lambda: warp_flow_field(flow_full[None], mat, HEATMAP_SIZE), r)
    print(f'crop transform of a cached full-frame flow to the heatmap grid: '
          f'{1 / t_crop_flow:8.1f} pairs/s')

    # (c) warping neighbour heatmaps: batched grid_sample vs a per-frame cv2.remap loop
    n = BATCH * NUM_NEIGHBOURS
    w, h = HEATMAP_SIZE
    rng = np.random.default_rng(0)
    heatmaps = rng.random((n, NUM_KEYPOINTS, h, w)).astype(np.float32)
    flows = (rng.standard_normal((n, 2, h, w)) * 2).astype(np.float32)
    hm_t, fl_t = torch.from_numpy(heatmaps), torch.from_numpy(flows)
    with torch.no_grad():
        t_batched = best_time(lambda: flow_warp(hm_t, fl_t), r)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    hm_hwc = np.ascontiguousarray(heatmaps.transpose(0, 2, 3, 1))

    def remap_loop():
        for i in range(n):
            mx, my = gx + flows[i, 0], gy + flows[i, 1]
            for c in range(0, NUM_KEYPOINTS, 4):  # cv2.remap takes <= 4 channels
                cv2.remap(np.ascontiguousarray(hm_hwc[i, :, :, c:c + 4]), mx, my,
                          cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)

    t_loop = best_time(remap_loop, r)
    print(f'heatmap warping, {n} neighbour maps: batched grid_sample {n / t_batched:9.0f} maps/s, '
          f'cv2.remap loop {n / t_loop:9.0f} maps/s  (ratio {t_loop / t_batched:.1f}x)')

    # (d) per-frame alignment cost vs the heatmap net's forward
    model = heatmap_net()
    x = torch.rand(BATCH, 3, INPUT_SIZE[1], INPUT_SIZE[0])
    with torch.no_grad():
        t_model = best_time(lambda: model(x, None, mode='tensor'), r) / BATCH
    t_warp_frame = t_batched / BATCH  # all neighbours of one frame
    dis_full, dis_crop = rows[0][1], rows[0][2]
    per_frame_online = NUM_NEIGHBOURS * dis_crop + t_warp_frame
    per_frame_cached = NUM_NEIGHBOURS * (dis_full + t_crop_flow) + t_warp_frame
    print(f'heatmap net forward: {1 / t_model:8.1f} frames/s (one crop)')
    print(f'flow (DIS ultrafast on crops) + warping, {NUM_NEIGHBOURS} neighbours: '
          f'{1 / per_frame_online:8.1f} frames/s  = {per_frame_online / t_model:.2f}x the '
          'heatmap net forward of that frame')
    print(f'flow (DIS ultrafast, full frame, uncached) + crop + warping: '
          f'{1 / per_frame_cached:8.1f} frames/s  = {per_frame_cached / t_model:.2f}x; a frame '
          'with P persons shares one full-frame flow per neighbour (cache), so per person it '
          f'is {1 / (per_frame_cached / 4):.1f} frames/s at P=4')


if __name__ == '__main__':
    main()

"""Time the generation of the default synthetic dataset (what ``make data`` makes).

    .venv/bin/python benchmarks/bench_synthetic_data.py [--workers 2] [--videos 10]
        [--val-videos 4] [--frames 40]

Renders the default train + val split into a temporary folder twice, with 1 worker (baseline)
and with ``--workers`` processes, and prints total seconds, frames/s and the speed-up ratio.
Also prints one video's render time without disk I/O, the CPU seconds of each run (wall time
on a shared machine depends on the other processes) and the load average.
"""
import argparse
import os
import os.path as osp
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from plugins.datasets.posetrack_json import POSETRACK18_KEYPOINT_NAMES  # noqa: E402
from plugins.datasets.synthetic.video import (SyntheticVideo,  # noqa: E402
                                              SyntheticVideoConfig)
from plugins.datasets.synthetic.writer import write_split  # noqa: E402


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (user + system)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def generate(cfg: SyntheticVideoConfig, videos: int, val_videos: int, workers: int) -> tuple:
    """Write the split into a temporary folder; returns (wall s, CPU s, frames)."""
    with tempfile.TemporaryDirectory() as out:
        t0, c0 = time.perf_counter(), _cpu_seconds()
        n = write_split(out, 'train', videos, cfg, 0, workers)['frames']
        n += write_split(out, 'val', val_videos, cfg, 0, workers)['frames']
        return time.perf_counter() - t0, _cpu_seconds() - c0, n


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument('--workers', type=int, default=2)
    p.add_argument('--videos', type=int, default=10)
    p.add_argument('--val-videos', type=int, default=4)
    p.add_argument('--frames', type=int, default=40)
    args = p.parse_args()
    cfg = SyntheticVideoConfig(num_frames=args.frames)

    # one video: rendering only (no disk) vs the full write
    t0 = time.perf_counter()
    video = SyntheticVideo(cfg, np.random.default_rng(0), POSETRACK18_KEYPOINT_NAMES)
    t_setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in video.frames():
        pass
    t_render = time.perf_counter() - t0
    print(f'one video ({cfg.num_frames} frames {cfg.width}x{cfg.height}): setup {t_setup:.3f} s,'
          f' render {t_render:.3f} s ({cfg.num_frames / t_render:.1f} frames/s, no disk)')

    base_s, base_cpu, frames = generate(cfg, args.videos, args.val_videos, 1)
    print(f'default split, 1 worker : {frames} frames in {base_s:.2f} s wall, {base_cpu:.2f} s '
          f'CPU ({frames / base_s:.1f} frames/s wall, {frames / base_cpu:.1f} frames/CPU-s)')
    if args.workers > 1:
        par_s, par_cpu, frames = generate(cfg, args.videos, args.val_videos, args.workers)
        print(f'default split, {args.workers} workers: {frames} frames in {par_s:.2f} s wall, '
              f'{par_cpu:.2f} s CPU ({frames / par_s:.1f} frames/s wall), '
              f'speed-up x{base_s / par_s:.2f} vs 1 worker')
    print(f'load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores '
          '(wall times grow with other processes; CPU seconds do not)')


if __name__ == '__main__':
    main()

"""Parametric pose NMS: vectorised implementation vs a straightforward per-pose loop.

    .venv/bin/python benchmarks/bench_pose_nms.py [--repeats 5]

Candidates: people with several duplicate detections each (about 8 candidates per person, 17
joints, jittered), as a detector + top-down estimator produce them. For 20, 100 and 500
candidates and both presets, both implementations run on the same input in this process; the
script checks that they keep and merge exactly the same poses, prints the median wall time of
each and their ratio, and exits non-zero if the results differ.
"""
import argparse
import os.path as osp
import sys
import time

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from plugins.post_processing.parametric_pose_nms import (PoseNMSParams,  # noqa: E402
                                                         parametric_pose_nms)
from plugins.post_processing.pose_nms_presets import pose_nms_preset  # noqa: E402
sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), "tests", "test_rmpe"))
from pose_nms_reference import parametric_pose_nms_loop  # noqa: E402  (the test oracle)

K = 17


def candidates(n: int, seed: int):
    """``n`` candidate poses of ``ceil(n / 8)`` people in a 1280 x 720 frame."""
    rng = np.random.default_rng(seed)
    people = max(1, n // 8)
    centre = rng.uniform([100, 100], [1180, 620], (people, 1, 2))
    shape = rng.normal(0, [25, 50], (people, K, 2))
    who = rng.integers(0, people, n)
    kpts = centre[who] + shape[who] + rng.normal(0, 3, (n, K, 2))
    scores = np.clip(rng.normal(0.7, 0.2, (n, K)), 0, 1)
    boxes = np.concatenate([kpts.min(1) - 10, kpts.max(1) + 10], 1)
    return kpts, scores, boxes, rng.uniform(0.3, 1, n)


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--sizes', type=int, nargs='+', default=[20, 100, 500])
    args = parser.parse_args(argv)
    ok = True
    print(f'{"preset":10s} {"N":>5s} {"kept":>5s} {"vectorised ms":>14s} {"loop ms":>10s} '
          f'{"speed-up":>9s}  identical')
    for preset in ('alphapose', 'paper'):
        params = PoseNMSParams(**pose_nms_preset(preset))
        for n in args.sizes:
            data = candidates(n, seed=n)
            fast = parametric_pose_nms(*data, params)
            slow = parametric_pose_nms_loop(*data, params)
            same = (np.array_equal(fast.keep, slow.keep)
                    and np.array_equal(fast.groups, slow.groups)
                    and np.allclose(fast.keypoints, slow.keypoints, rtol=1e-12, atol=1e-9)
                    and np.allclose(fast.keypoint_scores, slow.keypoint_scores, rtol=1e-12))
            ok &= same
            t_fast = median_time(lambda: parametric_pose_nms(*data, params), args.repeats)
            t_slow = median_time(lambda: parametric_pose_nms_loop(*data, params),
                                 max(1, args.repeats // 2 if n >= 500 else args.repeats))
            print(f'{preset:10s} {n:5d} {len(fast.keep):5d} {t_fast * 1e3:14.2f} '
                  f'{t_slow * 1e3:10.2f} {t_slow / t_fast:8.1f}x  {same}')
    if not ok:
        print('ERROR: vectorised and loop results differ')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())

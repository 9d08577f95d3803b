"""Speed of the vectorised PoseTrack evaluation against a per-joint Python-loop reference.

    python benchmarks/bench_posetrack_eval.py [--gt-dir DIR] [--mode default|poseval]

Data the size of the Bonn PoseTrack training set (30 videos, ~1,500 frames, ~6,400 annotated
persons, 14 joints): random tracks with noisy tracked predictions, or, with ``--gt-dir``, a
folder of PoseTrack18 JSON ground truth (e.g. the converted Bonn data) with simulated
predictions. The baseline is ``tests/test_evaluation/posetrack_reference.py``: the official
tool's procedure with loops over frames, persons and joints, one motmetrics accumulator per
joint and video. Both run in this process on the same data; the script checks that they give
the same numbers and prints wall times and the speed ratio.
"""
import argparse
import os.path as osp
import sys
import time

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tests', 'test_evaluation'))

from plugins.datasets.posetrack_json import load_posetrack_folder  # noqa: E402
from plugins.evaluation import evaluate_posetrack  # noqa: E402
from plugins.evaluation.functional import (flatten_videos,  # noqa: E402
                                           resolve_evaluated_joints)
from plugins.evaluation.functional.posetrack_evaluation import \
    head_segment_joints  # noqa: E402
from posetrack_reference import reference_evaluate  # noqa: E402
from random_tracks import BONN_NAMES, make_random_videos, noisy_predictions  # noqa: E402


def bonn_sized_data(seed: int = 0):
    """30 videos, 1,526 frames; persons per video tuned to ~6,400 person-frames."""
    rng = np.random.default_rng(seed)
    lengths = rng.multinomial(1526 - 30 * 20, np.ones(30) / 30) + 20
    return make_random_videos(num_videos=30, max_persons=15, names=BONN_NAMES, seed=seed,
                              crowd=1.0, p_ignore=0.05, frames_per_video=lengths)


def fill_missing_head_boxes(videos, names) -> None:
    """Give persons without a head box (most of the Bonn data) a square head box with the
    head size of the evaluation's ``head_size_fallback='head_segment'``, so that the loop
    reference, which reads head boxes only, sees the same head sizes."""
    gt_flat = flatten_videos(videos, videos, len(names), range(len(names)),
                             head_segment=head_segment_joints(names))
    sizes = iter(gt_flat.gt.head_size.tolist())
    for v in videos:
        for f in v.frames:
            if not (f.is_labeled or f.num_persons):
                continue
            for i in range(f.num_persons):
                s = next(sizes)
                if not np.all(np.isfinite(f.head_bboxes[i])) and np.isfinite(s):
                    side = s / 0.6 / np.sqrt(2)
                    c = f.keypoints[i][f.keypoint_scores[i] > 0].mean(0)
                    f.head_bboxes[i] = [c[0] - side / 2, c[1] - side / 2, c[0] + side / 2,
                                        c[1] + side / 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gt-dir', help='PoseTrack18 JSON ground-truth folder (optional)')
    parser.add_argument('--mode', default='default', choices=['default', 'poseval'])
    parser.add_argument('--repeat', type=int, default=3, help='runs of the fast version')
    args = parser.parse_args()
    if args.gt_dir:
        gts = load_posetrack_folder(args.gt_dir)
        names = gts[0].keypoint_names
        fill_missing_head_boxes(gts, names)
        preds = noisy_predictions(gts, seed=0)
    else:
        gts, preds = bonn_sized_data()
        names = BONN_NAMES
    n_frames = sum(len(v.frames) for v in gts)
    n_persons = sum(f.num_persons for v in gts for f in v.frames)
    n_pred = sum(f.num_persons for v in preds for f in v.frames)
    print(f'data: {len(gts)} videos, {n_frames} frames, {n_persons} annotated persons, '
          f'{n_pred} predicted persons, {len(names)} keypoints, mode={args.mode}')

    fast = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        result = evaluate_posetrack(gts, preds, metainfo=names, mode=args.mode)
        fast.append(time.perf_counter() - t)
    t = time.perf_counter()
    idx, _, _ = resolve_evaluated_joints(names)
    ref = reference_evaluate(gts, preds, idx, mode=args.mode)
    t_ref = time.perf_counter() - t

    same = (np.allclose(result.ap, ref['ap'], rtol=1e-12, equal_nan=True)
            and np.allclose(result.mot['mota'], ref['mota'], rtol=1e-12, equal_nan=True)
            and np.allclose(result.mot['motp'], ref['motp'], rtol=1e-12, equal_nan=True))
    print(f'mAP {result.ap_table()["Total"]:.2f}  MOTA {result.mota_table()["Total"]:.2f}  '
          f'(reference: {np.nanmean(ref["ap"]):.2f} / {np.nanmean(ref["mota"]):.2f}; '
          f'{"identical" if same else "DIFFERENT"})')
    best = min(fast)
    print(f'vectorised: {best:.3f} s (best of {len(fast)}), loop reference: {t_ref:.2f} s, '
          f'speed-up x{t_ref / best:.1f}')
    if not same:
        sys.exit('the vectorised evaluation differs from the reference')


if __name__ == '__main__':
    main()

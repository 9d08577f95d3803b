"""Time ``tracker.update()`` per frame at 5, 20 and 50 persons against mmpose's own tracking.

The baseline is mmpose 1.3.2's ``_track_by_oks`` / ``_track_by_iou`` driven as its
``Pose3DInferencer`` drives them (every detection of the frame, in order, against the remaining
persons of the previous frame). It runs in the same process on the same input; its inputs
(one ``PoseDataSample`` per person, as mmpose's pose estimator returns them) are built outside
the timed region. Track ids of the two implementations are compared, not just the times.

    python benchmarks/bench_tracker_update.py [--frames 100] [--repeats 3] [--persons 5 20 50]
"""
import argparse
import sys
import time
from pathlib import Path
from typing import Callable, List, Tuple

import numpy as np
from mmengine.structures import InstanceData

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import plugins  # noqa: E402,F401
from plugins.registry import TRACKERS  # noqa: E402
from plugins.tracking.oks_tracker import load_sigmas  # noqa: E402

METAINFO = 'configs/_base_/datasets/posetrack18.py'


def make_sequence(num_persons: int, num_frames: int, seed: int = 0) -> List[InstanceData]:
    """Persons (17 joints) walking at random in a shared area, order shuffled per frame."""
    rng = np.random.default_rng(seed)
    unit = rng.uniform(0, 1, (17, 2))
    size = rng.uniform([40, 80], [100, 200], (num_persons, 2))
    side = 150 * np.sqrt(num_persons)  # constant crowd density
    pos = rng.uniform(0, side, (num_persons, 2))
    vel = rng.uniform(-5, 5, (num_persons, 2))
    frames = []
    for _ in range(num_frames):
        pos += vel + rng.normal(0, 1, pos.shape)
        order = rng.permutation(num_persons)
        kpts = unit[None] * size[order, None] + pos[order, None] + rng.normal(0, 2, (
            num_persons, 17, 2))
        inst = InstanceData()
        inst.keypoints = kpts.astype(np.float32)
        inst.keypoint_scores = rng.uniform(0.3, 1, (num_persons, 17)).astype(np.float32)
        inst.bboxes = np.concatenate([kpts.min(1), kpts.max(1)], 1).astype(np.float32)
        inst.bbox_scores = np.ones(num_persons, np.float32)
        frames.append(inst)
    return frames


def to_mmpose_samples(frames: List[InstanceData]) -> list:
    """mmpose's input: per frame, one ``PoseDataSample`` per person (with ``areas``)."""
    from mmpose.structures import PoseDataSample
    out = []
    for inst in frames:
        samples = []
        for i in range(len(inst)):
            pred = InstanceData()
            pred.keypoints = inst.keypoints[i:i + 1]
            pred.keypoint_scores = inst.keypoint_scores[i:i + 1]
            pred.bboxes = inst.bboxes[i:i + 1]
            pred.areas = (pred.bboxes[:, 2:] - pred.bboxes[:, :2]).prod(-1)
            samples.append(PoseDataSample(pred_instances=pred))
        out.append(samples)
    return out


def run_mmpose(samples: list, use_oks: bool, sigmas: np.ndarray, thr: float = 0.3
               ) -> List[List[int]]:
    """mmpose's tracking loop (Pose3DInferencer), returning the ids per frame."""
    from functools import partial

    from mmpose.apis.inference_tracking import _track_by_iou, _track_by_oks
    track = partial(_track_by_oks, sigmas=sigmas) if use_oks else _track_by_iou
    last, next_id, ids = [], 0, []
    for frame in samples:
        candidates, frame_ids = list(last), []
        for res in frame:
            tid, candidates, _ = track(res, candidates, thr)
            if tid == -1:
                tid, next_id = next_id, next_id + 1
            res.set_field(tid, 'track_id')
            frame_ids.append(tid)
        last = frame
        ids.append(frame_ids)
    return ids


def run_ours(tracker, frames: List[InstanceData]) -> List[List[int]]:
    """Our tracker over the frames (after ``reset``), returning the ids per frame."""
    tracker.reset()
    return [tracker.update(None, f).track_ids.tolist() for f in frames]


def best_time(fn: Callable[[], object], repeats: int) -> Tuple[float, object]:
    """Best wall time of ``repeats`` calls and the last result."""
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--frames', type=int, default=100)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--persons', type=int, nargs='+', default=[5, 20, 50])
    args = p.parse_args()
    sigmas = load_sigmas(METAINFO)
    ours = {
        'OKSTracker (mmpose order)': (TRACKERS.build(dict(type='OKSTracker',
                                                          metainfo=METAINFO)), True),
        'OKSTracker hungarian': (TRACKERS.build(dict(type='OKSTracker', metainfo=METAINFO,
                                                     assignment='hungarian')), None),
        'IoUTracker sequential': (TRACKERS.build(dict(type='IoUTracker',
                                                      assignment='sequential')), False),
        'IoUTracker greedy': (TRACKERS.build(dict(type='IoUTracker')), None),
        'IoUTracker hungarian': (TRACKERS.build(dict(type='IoUTracker',
                                                     assignment='hungarian')), None),
    }
    print(f'{args.frames} frames, best of {args.repeats}; ms per frame (update of all persons)')
    header = f'{"persons":>7} | {"tracker":<26} | {"ours ms":>8} | {"mmpose ms":>9} | ' \
             f'{"speed-up":>8} | same ids'
    print(header)
    print('-' * len(header))
    for n in args.persons:
        frames = make_sequence(n, args.frames)
        samples = to_mmpose_samples(frames)
        ref = {}
        for use_oks in (True, False):
            t, ids = best_time(lambda: run_mmpose(samples, use_oks, sigmas), args.repeats)
            ref[use_oks] = (t, ids)
        for name, (tracker, ref_key) in ours.items():
            t, ids = best_time(lambda: run_ours(tracker, frames), args.repeats)
            ms = 1000 * t / args.frames
            if ref_key is None:
                print(f'{n:>7} | {name:<26} | {ms:8.3f} | {"":>9} | {"":>8} |')
                continue
            ref_t, ref_ids = ref[ref_key]
            ref_ms = 1000 * ref_t / args.frames
            print(f'{n:>7} | {name:<26} | {ms:8.3f} | {ref_ms:9.3f} | {ref_ms / ms:7.1f}x | '
                  f'{ids == ref_ids}')


if __name__ == '__main__':
    main()

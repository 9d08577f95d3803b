"""``update()`` time per frame of every tracker at 5, 20 and 50 persons (docs/trackers.md).

The input is ``benchmarks/bench_tracker_update.py``'s: N persons (17 joints) walking in a crowd
of constant density, shuffled per frame. Trackers that read pixels get a textured BGR frame of
``--frame-size`` that moves with the crowd (flow, Re-ID's colour histograms, StrongSORT's
embedder); the correspondence tracker runs its network with random weights (its speed does not
depend on the weights), on the tiny synthetic configuration, and so does the region-update
tracker's failure checker (``DetectorRegionScorer``: the tiny synthetic Faster R-CNN of
``projects/dense_pose_tracking/configs/``, one backbone pass per frame plus the RoI head on every
live track's region; the project's tracker settings). Times are the best of
``--repeats`` runs over the whole sequence (``reset()`` excluded), in ms per frame of process
CPU time (``time.process_time``: on a shared, loaded machine wall-clock times of the same run
varied 3-5x; CPU time counts every thread of the process, e.g. OpenCV's).

    python benchmarks/bench_tracker_update_all.py [--frames 50] [--repeats 2]
        [--persons 5 20 50] [--trackers IoU ByteTrack ...]
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / 'benchmarks'))

import plugins  # noqa: E402,F401
from bench_tracker_update import make_sequence  # noqa: E402
from mmengine.config import Config  # noqa: E402

from plugins.registry import TRACKERS  # noqa: E402

METAINFO = 'configs/_base_/datasets/posetrack18.py'


def adapter(name: str, **kwargs) -> dict:
    cfg = Config.fromfile(str(ROOT / 'configs/_base_/trackers' / f'{name}.py')).tracker
    return dict(cfg.to_dict(), **kwargs)


def region_tracker(**kwargs) -> dict:
    """Dense Pose Tracking's tracker settings, its failure checker a randomly initialised tiny
    synthetic Faster R-CNN (its speed does not depend on the weights)."""
    cfg = Config.fromfile(str(ROOT / REGION_PIPELINE)).tracking_pipeline.tracker.to_dict()
    cfg['failure_scorer'] = dict(type='DetectorRegionScorer', config=str(ROOT / REGION_DETECTOR),
                                 checkpoint=None)
    return dict(cfg, **kwargs)


REGION_PIPELINE = 'projects/dense_pose_tracking/configs/track_posetrack18_svs-hg2_region.py'
REGION_DETECTOR = ('projects/dense_pose_tracking/configs/'
                   'faster-rcnn_r18-tiny_synthetic-person-192x144.py')
#: name -> (config, needs pixels)
CONFIGS = {
    'IoU (hungarian)': (dict(type='IoUTracker', assignment='hungarian', max_age=5), False),
    'OKS (hungarian)': (dict(type='OKSTracker', assignment='hungarian', max_age=5,
                             metainfo=METAINFO), False),
    'flow (DIS)': (dict(type='FlowTracker', assignment='hungarian', max_age=5,
                        metainfo=METAINFO), True),
    'Re-ID (colour histograms)': (dict(type='ReIDTracker', geometry='iou',
                                       geometry_weight=0.5, max_age=5), True),
    'correspondence (random weights)': (dict(
        type='CorrespondenceTracker',
        model='projects/kpt_correspondence/configs/refine_bninception-tiny_synthetic-192x144.py',
        checkpoint=None, metainfo=METAINFO, temporal_distance=1), True),
    'SORT': (adapter('sort'), False),
    'ByteTrack': (adapter('bytetrack'), False),
    'OC-SORT': (adapter('ocsort'), False),
    'StrongSORT (colour histograms)': (adapter('strongsort'), True),
    'pose-aware ByteTrack': (adapter('pose_bytetrack', metainfo=METAINFO), False),
    'region update (random-weight detector)': (region_tracker(), True),
}


def textured_frames(frames, size, seed=0):
    """A random texture shifted by the crowd's mean motion, one frame per pose frame."""
    rng = np.random.default_rng(seed)
    w, h = size
    base = rng.integers(0, 255, (h + 200, w + 200, 3), dtype=np.uint8)
    out = []
    for t in range(len(frames)):
        dx = dy = (2 * t) % 100
        out.append(np.ascontiguousarray(base[dy:dy + h, dx:dx + w]))
    return out


def best_time(tracker, frames, images, repeats):
    best = np.inf
    for _ in range(repeats):
        tracker.reset()
        start = time.process_time()
        for f, img in zip(frames, images):
            tracker.update(img, f)
        best = min(best, time.process_time() - start)
    return 1000 * best / len(frames)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--frames', type=int, default=50)
    p.add_argument('--repeats', type=int, default=2)
    p.add_argument('--persons', type=int, nargs='+', default=[5, 20, 50])
    p.add_argument('--frame-size', type=int, nargs=2, default=[640, 480])
    p.add_argument('--trackers', nargs='+', default=None, choices=sorted(CONFIGS))
    args = p.parse_args()
    names = args.trackers or list(CONFIGS)
    print(f'{args.frames} frames, best of {args.repeats}, frames {args.frame_size[0]}x'
          f'{args.frame_size[1]} for pixel trackers; CPU ms per frame')
    print('| tracker | ' + ' | '.join(f'{n} persons' for n in args.persons) + ' |')
    print('|---|' + '---:|' * len(args.persons))
    seqs = {n: make_sequence(n, args.frames) for n in args.persons}
    images = textured_frames(seqs[args.persons[0]], args.frame_size)
    for name in names:
        cfg, pixels = CONFIGS[name]
        tracker = TRACKERS.build(dict(cfg))
        cells = []
        for n in args.persons:
            imgs = images if pixels else [None] * args.frames
            cells.append(f'{best_time(tracker, seqs[n], imgs, args.repeats):.2f}')
        print(f'| {name} | ' + ' | '.join(cells) + ' |', flush=True)


if __name__ == '__main__':
    main()

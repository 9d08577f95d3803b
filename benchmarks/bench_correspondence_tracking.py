"""Compare trackers on videos with pixels: degraded ground-truth poses + the frames.

For every video of a PoseTrack18 per-video annotation folder (default: the synthetic val set
of ``make data``), the ground-truth poses are degraded like a detector's output
(:class:`plugins.tracking.pose_degradation.PoseDegradation`, one seeded draw per video shared by
all trackers), every tracker runs over the frames *with their pixels* (the correspondence and
flow trackers need them), and MOTA / ID switches come from the PoseTrack metric
(:func:`plugins.evaluation.evaluate_posetrack`). The baseline is the first tracker (OKS by
default); the ratio of each tracker's per-frame ``update()`` time to it is printed too.

    python benchmarks/bench_correspondence_tracking.py \\
        --trackers OKSTracker FlowTracker \\
            projects/kpt_correspondence/configs/track_synthetic.py \\
        --degrade medium --seed 0 [--videos 2] [--out work_dirs/kc_tracking]

A tracker is a registered type name or a config file with ``tracker = dict(...)`` and optionally
``post_processors = [...]`` (e.g. the correspondence track merging), which observe every frame
and whose edits are applied after each video (as in the pipeline).
"""
import argparse
import json
import sys
import time
import zlib
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.structures import InstanceData

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import plugins  # noqa: E402,F401
from plugins.datasets.posetrack_json import (VideoAnnotation,  # noqa: E402
                                             iter_video_files, load_posetrack_video,
                                             prediction_video)
from plugins.evaluation import evaluate_posetrack  # noqa: E402
from plugins.registry import POST_PROCESSORS, TRACKERS  # noqa: E402
from plugins.tracking.frame_context import FrameContext  # noqa: E402
from plugins.tracking.track_edits import TrackEdits  # noqa: E402
from plugins.tracking.pose_degradation import PoseDegradation  # noqa: E402

METAINFO = 'configs/_base_/datasets/posetrack18.py'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data-root', default='data/synthetic',
                   help='dataset root (file_name of the frames are relative to it)')
    p.add_argument('--ann-dir', default=None,
                   help='per-video PoseTrack18 JSON folder (default: DATA_ROOT/annotations/val)')
    p.add_argument('--trackers', nargs='+', default=[
        'OKSTracker', 'FlowTracker', 'projects/kpt_correspondence/configs/track_synthetic.py'])
    p.add_argument('--degrade', default='medium', help='PoseDegradation preset')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--videos', type=int, default=None, help='only the first N videos')
    p.add_argument('--out', default=None, help='write the summary JSON here')
    return p.parse_args(argv)


def tracker_configs(spec: str, checkpoint: Optional[str] = None) -> Tuple[dict, List[dict]]:
    """``(tracker config, post-processor configs)`` from a registered type name or a config
    file with ``tracker`` (and ``post_processors``).

    Args:
        spec: a ``TRACKERS`` type name or a ``.py`` config.
        checkpoint: replaces the ``checkpoint`` of the tracker and of every post-processor
            that has one (``'none'``: random weights); ``None``: as configured.
    """
    posts = []
    if spec.endswith('.py'):
        cfg = Config.fromfile(spec)
        if 'tracker' not in cfg:
            raise ValueError(f'{spec} has no `tracker = dict(...)`')
        tcfg = cfg.tracker.to_dict()
        posts = [dict(p) for p in cfg.get('post_processors', [])]
    else:
        tcfg = dict(type=spec)
    cls = TRACKERS.get(tcfg['type'])
    if cls is None:
        raise ValueError(f'unknown tracker {tcfg["type"]!r}')
    import inspect
    params = inspect.signature(cls.__init__).parameters
    if 'metainfo' in params and 'sigmas' not in tcfg:
        tcfg.setdefault('metainfo', METAINFO)
    if checkpoint is not None:
        weights = None if checkpoint.lower() == 'none' else checkpoint
        for c in [tcfg] + posts:
            if 'checkpoint' in c:
                c['checkpoint'] = weights
    return tcfg, posts


def build_tracker(spec: str, checkpoint: Optional[str] = None):
    """``(tracker, post-processors)`` of :func:`tracker_configs`."""
    tcfg, posts = tracker_configs(spec, checkpoint)
    return TRACKERS.build(tcfg), [POST_PROCESSORS.build(dict(p)) for p in posts]


def degrade(video: VideoAnnotation, preset: str, seed: int) -> Dict[int, InstanceData]:
    """Seeded detector-like poses of the labeled frames (same for every tracker)."""
    labeled = [i for i, f in enumerate(video.frames) if f.is_labeled]
    w = max(f.width for f in video.frames)
    h = max(f.height for f in video.frames)
    rng = np.random.default_rng([seed, zlib.crc32(video.name.encode())])
    out = PoseDegradation.from_preset(preset)([video.frames[i].to_instances() for i in labeled],
                                              rng, extent=(0, 0, w, h))
    return dict(zip(labeled, out))


def run_frames(images: Dict[int, np.ndarray], dets: Dict[int, InstanceData], tracker,
               posts=(), observers=()) -> Tuple[List[int], List[InstanceData], TrackEdits,
                                                 float]:
    """Run one tracker over the frames of ``dets`` (in frame order) as the pipeline does: a
    :class:`FrameContext` per frame (index = position in the order), ``track()`` where the
    tracker has it, every post-processor and every extra ``observer`` (a post-processor
    whose edits are not applied here, e.g. interpolation scored separately) observing the
    online result.

    Returns:
        ``(order, online results, the posts' chained edits, seconds of tracking + observing)``;
        the observers are left to be finalized by the caller.
    """
    tracker.reset()
    for post in (*posts, *observers):
        if callable(getattr(post, 'bind_tracker', None)):
            post.bind_tracker(tracker)  # as the pipeline does (e.g. merging's max_age)
        post.reset()
    order = sorted(dets)
    results, seconds = [], 0.0
    for n, i in enumerate(order):
        t0 = time.perf_counter()
        ctx = FrameContext(index=n, image=images[i])
        out = tracker.track(ctx, dets[i]) if hasattr(tracker, 'track') else \
            tracker.update(images[i], dets[i])
        for post in (*posts, *observers):
            post.observe(n, out, ctx)
        results.append(out)
        seconds += time.perf_counter() - t0
    edits = TrackEdits()
    for post in posts:
        edits = post.finalize(edits)
    return order, results, edits, seconds


def track(video: VideoAnnotation, images: Dict[int, np.ndarray],
          dets: Dict[int, InstanceData], tracker_posts) -> (VideoAnnotation, float, int):
    """Run one tracker (and its post-processors) over a video; returns predictions, seconds
    of tracking + observing, frames."""
    tracker, posts = tracker_posts
    order, results, edits, seconds = run_frames(images, dets, tracker, posts)
    results = [edits.apply(n, r) for n, r in enumerate(results)]
    pred = prediction_video(video, dict(zip(order, results)))
    return pred, seconds, len(order)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    root = Path(args.data_root)
    ann_dir = Path(args.ann_dir) if args.ann_dir else root / 'annotations' / 'val'
    files = sorted(iter_video_files(ann_dir))[:args.videos]
    if not files:
        raise FileNotFoundError(f'no PoseTrack18 video files in {ann_dir} (run `make data`)')
    videos = [load_posetrack_video(f) for f in files]
    trackers = {spec: build_tracker(spec) for spec in args.trackers}
    preds = {spec: [] for spec in trackers}
    timing = {spec: [0.0, 0] for spec in trackers}
    for video in videos:
        dets = degrade(video, args.degrade, args.seed)
        images = {}
        for i in dets:
            path = root / video.frames[i].file_name
            img = cv2.imread(str(path))
            if img is None:
                raise FileNotFoundError(f'cannot read frame {path}')
            images[i] = img
        for spec, trk in trackers.items():
            pred, sec, n = track(video, images, dets, trk)
            preds[spec].append(pred)
            timing[spec][0] += sec
            timing[spec][1] += n
    summary = {}
    base = args.trackers[0]
    base_ms = 1000 * timing[base][0] / max(timing[base][1], 1)
    print(f'{len(videos)} videos, degradation {args.degrade!r}, seed {args.seed}')
    print(f'{"tracker":60s} {"MOTA":>6s} {"IDSW":>6s} {"ms/frame":>9s} {"x base":>7s}')
    for spec in args.trackers:
        res = evaluate_posetrack(videos, preds[spec])
        table = res.mota_table()
        switches = float(np.sum(res.mot['num_switches']))
        ms = 1000 * timing[spec][0] / max(timing[spec][1], 1)
        summary[spec] = dict(mota=table['Total'], idsw_per_joint=table['IDSW'],
                             idsw_total=switches, ms_per_frame=ms, mAP=res.ap_table()['Total'])
        print(f'{spec[-60:]:60s} {table["Total"]:6.1f} {table["IDSW"]:6.2f} {ms:9.1f} '
              f'{ms / base_ms:7.1f}')
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(dict(args=vars(args), results=summary), indent=1))
    return summary


if __name__ == '__main__':
    main()

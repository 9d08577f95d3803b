"""Track degraded ground-truth poses and write PoseTrack18 predictions (tracker analysis).

Reads a folder of PoseTrack18 per-video JSON ground truth, turns the annotated poses into
detector-like output (:mod:`plugins.tracking.pose_degradation`, seeded), runs a tracker over the
labeled frames of every video and writes one PoseTrack18 prediction file per video, ready for
``tools/eval_posetrack.py``. Trackers see no pixels (``frame=None``): the flow tracker falls back
to plain OKS, the Re-ID tracker cannot run.

Example::

    python tools/analysis/track_gt_poses.py --gt data/bonn_pt18/train --tracker OKSTracker \\
        --degrade medium --seed 0 --out work_dirs/track_gt/oks_medium
    python tools/eval_posetrack.py --gt data/bonn_pt18/train \\
        --pred work_dirs/track_gt/oks_medium --head-size-fallback head_segment
    python tools/analysis/track_gt_poses.py --gt GT --tracker IoUTracker \\
        --tracker-options assignment=hungarian --degrade light --out PRED
    python tools/analysis/track_gt_poses.py --gt GT --tracker configs/_base_/trackers/bytetrack.py \\
        --post-process configs/_base_/trackers/interpolation.py --degrade medium --out PRED

Post-processors (``--post-process``: registered types such as ``TrackletInterpolation`` or
``.py`` configs holding ``post_processors = [...]``; a tracker config's own
``post_processors`` list is used too) observe every tracked frame and their edits are applied
before writing, as the video runner does.

The ground truth is only read, never rewritten: ground truth without head boxes (Bonn
PoseTrack) is scored with the metric's ``head_size_fallback='head_segment'``.
"""
import argparse
import inspect
import json
import sys
import time
import zlib
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config, DictAction

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import plugins  # noqa: E402,F401  (registers the trackers)
from plugins.datasets.posetrack_json import (VideoAnnotation,  # noqa: E402
                                             dump_posetrack_video, iter_video_files,
                                             load_posetrack_video, prediction_video)
from plugins.registry import POST_PROCESSORS, TRACKERS  # noqa: E402
from plugins.tracking.base_tracker import BaseTracker  # noqa: E402
from plugins.tracking.track_edits import TrackEdits  # noqa: E402
from plugins.tracking.pose_degradation import (DEGRADATION_PRESETS,  # noqa: E402
                                               PoseDegradation)

#: Metainfo given to trackers that take one (OKS sigmas) unless the tracker config sets it.
DEFAULT_METAINFO = 'configs/_base_/datasets/posetrack18.py'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments."""
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--gt', required=True, help='folder of PoseTrack18 per-video JSON files')
    p.add_argument('--tracker', required=True,
                   help='registered tracker type (IoUTracker, OKSTracker, FlowTracker, ...) or '
                   'a .py config holding `tracker = dict(...)` or `tracking_pipeline.tracker`')
    p.add_argument('--tracker-options', nargs='+', action=DictAction, default={},
                   help='tracker arguments, e.g. assignment=hungarian max_age=3')
    p.add_argument('--post-process', nargs='+', default=[],
                   help='post-processors applied per video, in order: registered types '
                   '(TrackletInterpolation, AFLink) or .py configs with `post_processors`')
    p.add_argument('--degrade', default='medium', choices=sorted(DEGRADATION_PRESETS),
                   help='degradation preset (plugins/tracking/pose_degradation.py)')
    p.add_argument('--degrade-options', nargs='+', action=DictAction, default={},
                   help='overrides of the preset, e.g. jitter=0.08 false_positives=0')
    p.add_argument('--seed', type=int, default=0, help='seed of the degradation')
    p.add_argument('--out', required=True, help='folder for the prediction files')
    p.add_argument('--metainfo', default=DEFAULT_METAINFO,
                   help='dataset metainfo for trackers with OKS sigmas (when not in the tracker '
                   f'config); default {DEFAULT_METAINFO} (mmpose)')
    p.add_argument('--videos', nargs='+', default=None, help='only these video names')
    p.add_argument('--summary', default=None,
                   help='also write the run summary (JSON) here (not into --out, whose *.json '
                   'files are all read as videos by the evaluation)')
    return p.parse_args(argv)


def tracker_config(spec: str, options: Dict, metainfo: Optional[str]) -> dict:
    """The tracker config dict from a type name or a config file, plus options.

    Args:
        spec: a ``TRACKERS`` type name or a ``.py`` config path.
        options: keyword overrides.
        metainfo: set as ``metainfo`` when the tracker accepts it and the config has none.

    Returns:
        A dict for ``TRACKERS.build``.
    """
    if spec.endswith('.py'):
        cfg = Config.fromfile(spec)
        if 'tracker' in cfg:
            tcfg = cfg.tracker
        elif 'tracking_pipeline' in cfg and cfg.tracking_pipeline.get('tracker'):
            tcfg = cfg.tracking_pipeline.tracker
        else:
            raise ValueError(f'{spec}: no `tracker` nor `tracking_pipeline.tracker` in config')
        tcfg = tcfg.to_dict() if hasattr(tcfg, 'to_dict') else dict(tcfg)
    else:
        tcfg = dict(type=spec)
    tcfg.update(options or {})
    cls = TRACKERS.get(tcfg['type'])
    if cls is None:
        raise ValueError(f'unknown tracker {tcfg["type"]!r}; registered: '
                         f'{sorted(TRACKERS.module_dict)}')
    if metainfo and 'metainfo' in inspect.signature(cls.__init__).parameters:
        tcfg.setdefault('metainfo', metainfo)
    return tcfg


def post_processor_configs(specs: List[str], tracker_spec: str) -> List[dict]:
    """Post-processor configs: the tracker config file's ``post_processors`` (or
    ``tracking_pipeline.post_processors``) followed by those named by ``specs``.

    Args:
        specs: registered type names or ``.py`` configs with ``post_processors = [...]``.
        tracker_spec: the ``--tracker`` argument.

    Returns:
        A list of config dicts for ``POST_PROCESSORS.build``.
    """
    def from_file(path: str) -> List[dict]:
        cfg = Config.fromfile(path)
        items = cfg.get('post_processors')
        if items is None and 'tracking_pipeline' in cfg:
            items = cfg.tracking_pipeline.get('post_processors')
        return [i.to_dict() if hasattr(i, 'to_dict') else dict(i) for i in (items or [])]

    out = from_file(tracker_spec) if tracker_spec.endswith('.py') else []
    for spec in specs:
        if spec.endswith('.py'):
            items = from_file(spec)
            if not items:
                raise ValueError(f'{spec}: no `post_processors` list in config')
            out.extend(items)
        else:
            if POST_PROCESSORS.get(spec) is None:
                raise ValueError(f'unknown post-processor {spec!r}')
            out.append(dict(type=spec))
    return out


def video_seed(seed: int, name: str) -> np.random.Generator:
    """A generator seeded by the global seed and the video name (order-independent)."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def track_video(video: VideoAnnotation, tracker: BaseTracker, degradation: PoseDegradation,
                seed: int, post_processors=()) -> VideoAnnotation:
    """Degrade and track the labeled frames of one video.

    Args:
        video: ground truth.
        tracker: the tracker (reset here).
        degradation: how to degrade the poses.
        seed: global seed (combined with the video name).
        post_processors: built post-processors (reset here), chained in order; they observe
            each tracked frame (by its position in the video) and their edits are applied.

    Returns:
        The predictions: one frame per ground-truth frame (unlabeled frames empty).
    """
    labeled = [i for i, f in enumerate(video.frames) if f.is_labeled]
    width = max((f.width for f in video.frames), default=0)
    height = max((f.height for f in video.frames), default=0)
    extent = (0, 0, width, height) if width and height else None
    degraded = degradation([video.frames[i].to_instances() for i in labeled],
                           video_seed(seed, video.name), extent=extent)
    tracker.reset()
    for post in post_processors:
        post.reset()
    by_index = {}
    for i, det in zip(labeled, degraded):
        by_index[i] = tracker.update(None, det)
        for post in post_processors:
            post.observe(i, by_index[i])
    if post_processors:
        edits = TrackEdits()
        for post in post_processors:
            edits = post.finalize(edits)
        by_index = {i: edits.apply(i, r) for i, r in by_index.items()}
    return prediction_video(video, by_index)


def main(argv: Optional[List[str]] = None) -> dict:
    """Run the tool; returns the summary it prints."""
    args = parse_args(argv)
    files = list(iter_video_files(args.gt))
    if args.videos:
        files = [f for f in files if f.stem in set(args.videos)]
    if not files:
        raise FileNotFoundError(f'no PoseTrack18 *.json video files in {args.gt}'
                                + (f' named {args.videos}' if args.videos else ''))
    tcfg = tracker_config(args.tracker, args.tracker_options, args.metainfo)
    tracker = TRACKERS.build(tcfg)
    pcfgs = post_processor_configs(args.post_process, args.tracker)
    posts = [POST_PROCESSORS.build(c) for c in pcfgs]
    degradation = PoseDegradation.from_preset(args.degrade, **(args.degrade_options or {}))
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    totals = dict(videos=0, frames=0, persons=0, tracks=0)
    for path in files:
        video = load_posetrack_video(path)
        pred = track_video(video, tracker, degradation, args.seed, posts)
        dump_posetrack_video(pred, out_dir / path.name)
        totals['videos'] += 1
        totals['frames'] += sum(f.is_labeled for f in pred.frames)
        totals['persons'] += sum(f.num_persons for f in pred.frames)
        totals['tracks'] += int(tracker.num_started)
    summary = dict(tracker=tcfg, post_processors=pcfgs, degrade=args.degrade, degradation=vars_of(degradation),
                   seed=args.seed, gt=str(args.gt), out=str(out_dir),
                   seconds=round(time.perf_counter() - start, 3), **totals)
    if args.summary:
        Path(args.summary).parent.mkdir(parents=True, exist_ok=True)
        Path(args.summary).write_text(json.dumps(summary, indent=1, default=str))
    print(json.dumps(summary, default=str))
    return summary


def vars_of(degradation: PoseDegradation) -> dict:
    """The degradation parameters as a plain dict."""
    from dataclasses import asdict
    return asdict(degradation)


if __name__ == '__main__':
    main()

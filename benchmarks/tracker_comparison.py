"""The tracker comparison table of docs/trackers.md: MOTA, HOTA and IDSW of every tracker, with
and without tracklet interpolation, on degraded ground-truth poses.

For each dataset, degradation preset, seed and tracker, the labeled frames of every video are
degraded (``plugins/tracking/pose_degradation.py``, seeded by the seed and the video name, the
same for every tracker), tracked once, and scored twice with the PoseTrack metric
(``plugins.evaluation.evaluate_posetrack``, MOTA + keypoint HOTA): as tracked, and after the
``TrackletInterpolation`` post-processor (``configs/_base_/trackers/interpolation.py``). Trackers
that need pixels run only where the dataset has images (``--images``); on Bonn PoseTrack (no
images) they are skipped. The region-update tracker (``'region'``, Dense Pose Tracking) also
needs a trained two-stage detector for its failure checker (``DetectorRegionScorer``): it runs
only when ``--region-detector CONFIG CHECKPOINT`` is given (``CHECKPOINT`` ``none``: random
weights, for tests). The correspondence tracker (``'correspondences'``, self-supervised keypoint
correspondences) needs its trained network: it runs only when ``--corr-checkpoint CKPT`` is
given, configured by ``--corr-config`` (default
``projects/kpt_correspondence/configs/track_synthetic.py``: the tracker followed by its
post-processors, track merging + short-track removal, run as
``benchmarks/bench_correspondence_tracking.py`` runs them; interpolation comes after them).

    python benchmarks/tracker_comparison.py --dataset bonn --gt work_dirs/bonn_pt18/train \\
        --metainfo configs/_base_/datasets/bonn_posetrack.py --head-size-fallback head_segment \\
        --presets light medium heavy --seeds 0 --out work_dirs/tracker_table/bonn.json
    python benchmarks/tracker_comparison.py --dataset synthetic \\
        --gt data/synthetic/annotations/val --images data/synthetic \\
        --presets light medium heavy --seeds 0 --out work_dirs/tracker_table/synthetic.json
    python benchmarks/tracker_comparison.py --dataset synthetic \\
        --gt data/synthetic/annotations/val --images data/synthetic --trackers region \\
        --region-detector \\
        projects/dense_pose_tracking/configs/faster-rcnn_r18-tiny_synthetic-person-192x144.py \\
        work_dirs/region_detector/epoch_15.pth \\
        --presets light medium heavy --seeds 0 --out work_dirs/tracker_table/synthetic.json
    python benchmarks/tracker_comparison.py --dataset synthetic \\
        --gt data/synthetic/annotations/val --images data/synthetic --trackers correspondences \\
        --corr-checkpoint work_dirs/corr_refine/epoch_2.pth \\
        --presets light medium heavy --seeds 0 --out work_dirs/tracker_table/synthetic.json
    python benchmarks/tracker_comparison.py --markdown work_dirs/tracker_table/*.json

The measuring runs write every number as JSON (and print progress); ``--markdown`` turns JSON
files into the tables of docs/trackers.md.
"""
import argparse
import json
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / 'tools' / 'analysis'))
sys.path.insert(0, str(ROOT / 'benchmarks'))

import bench_correspondence_tracking as corr_bench  # noqa: E402
import plugins  # noqa: E402,F401
import track_gt_poses as tool  # noqa: E402
from plugins.datasets.posetrack_json import (iter_video_files,  # noqa: E402
                                             load_posetrack_video, prediction_video)
from plugins.registry import POST_PROCESSORS, TRACKERS  # noqa: E402
from plugins.tracking.pose_degradation import PoseDegradation  # noqa: E402
from plugins.tracking.track_edits import TrackEdits  # noqa: E402

T = 'configs/_base_/trackers/'
REGION_CONFIG = str(ROOT / 'projects/dense_pose_tracking/configs/'
                    'track_posetrack18_svs-hg2_region.py')
CORR_CONFIG = str(ROOT / 'projects/kpt_correspondence/configs/track_synthetic.py')
#: name -> (tracker spec for tools/analysis/track_gt_poses.py, options, needs pixels)
TRACKER_SPECS = {
    'IoU': ('IoUTracker', dict(assignment='hungarian', max_age=5), False),
    'OKS': ('OKSTracker', dict(assignment='hungarian', max_age=5, min_keypoint_score=0.05),
            False),
    'flow': ('FlowTracker', dict(assignment='hungarian', max_age=5, min_keypoint_score=0.05),
             True),
    # greedy: BaseTracker's Hungarian assignment fails on rows gated to -inf
    'Re-ID': ('ReIDTracker', dict(geometry='iou', geometry_weight=0.5, gate_threshold=0.1,
                                  assignment='greedy', max_age=5), True),
    'SORT': (T + 'sort.py', {}, False),
    'ByteTrack': (T + 'bytetrack.py', {}, False),
    'OC-SORT': (T + 'ocsort.py', {}, False),
    'StrongSORT (no appearance)': (T + 'strongsort.py', dict(embedder=None), False),
    'StrongSORT': (T + 'strongsort.py', {}, True),
    'pose-aware ByteTrack': (T + 'pose_bytetrack.py', {}, False),
    'pose-aware ByteTrack (OKS + IoU)': (T + 'pose_bytetrack_oks_iou.py', {}, False),
    # Dense Pose Tracking's tracker with the project's settings (failure_threshold=0.5,
    # region_extension=1.2, match_threshold=0.3, max_age=1); its failure checker is replaced
    # by the --region-detector one (REGION_TRACKERS)
    'region': (REGION_CONFIG, {}, True),
    # the CorrespondenceTracker + its post-processors (track merging, short-track removal) of
    # --corr-config (default CORR_CONFIG) with the network of --corr-checkpoint
    'correspondences': (CORR_CONFIG, {}, True),
}
#: trackers whose failure checker is the ``--region-detector`` (run only when it is given)
REGION_TRACKERS = ('region', )
#: trackers configured by ``--corr-config`` / ``--corr-checkpoint`` (run only when the
#: checkpoint is given)
CORR_TRACKERS = ('correspondences', )


def strongsort_without_appearance(tcfg: dict) -> dict:
    """StrongSORT's motion + IoU steps only (``reid=None``): for datasets without pixels."""
    tcfg = json.loads(json.dumps(tcfg))
    tcfg['tracker']['reid'] = None
    tcfg.pop('embedder', None)
    return tcfg


def region_scorer(region_detector: Optional[List[str]], device: str = 'cpu') -> dict:
    """The ``DetectorRegionScorer`` config of ``--region-detector CONFIG CHECKPOINT``."""
    if not region_detector or len(region_detector) != 2:
        raise ValueError('the region tracker needs --region-detector CONFIG CHECKPOINT (a '
                         'trained two-stage mmdet detector: its RoI head is the failure checker)')
    config, checkpoint = region_detector
    checkpoint = None if checkpoint.lower() == 'none' else checkpoint
    return dict(type='DetectorRegionScorer', config=config, checkpoint=checkpoint, device=device)


def build_tracker(name: str, metainfo: str, region_detector: Optional[List[str]] = None):
    spec, options, _ = TRACKER_SPECS[name]
    options = dict(options)
    if name in REGION_TRACKERS:
        options['failure_scorer'] = region_scorer(region_detector)
    no_app = options.pop('embedder', 'keep') is None
    tcfg = tool.tracker_config(spec, options, metainfo)
    if no_app:
        tcfg = strongsort_without_appearance(tcfg)
    return TRACKERS.build(tcfg), tcfg


def build_correspondence(config: Optional[str], checkpoint: Optional[str]):
    """``(tracker, post-processors, their configs)`` of ``--corr-config`` with every
    ``checkpoint`` of it replaced by ``--corr-checkpoint`` (``'none'``: random weights)."""
    if not checkpoint:
        raise ValueError('the correspondence tracker needs --corr-checkpoint CKPT (the trained '
                         "correspondence network, e.g. work_dirs/corr_refine/epoch_2.pth; 'none' "
                         'for random weights)')
    tcfg, post_cfgs = corr_bench.tracker_configs(config or CORR_CONFIG, checkpoint)
    for cfg in [tcfg] + post_cfgs:  # the configs' repository-relative paths, from any cwd
        for key in ('model', 'metainfo'):
            value = cfg.get(key)
            if isinstance(value, str) and not Path(value).exists() and (ROOT / value).exists():
                cfg[key] = str(ROOT / value)
    tracker = TRACKERS.build(tcfg)
    posts = [POST_PROCESSORS.build(dict(c)) for c in post_cfgs]
    return tracker, posts, dict(tcfg, post_processors=post_cfgs)


def load_frame(images: Optional[Path], frame) -> Optional[np.ndarray]:
    if images is None:
        return None
    import cv2
    img = cv2.imread(str(images / frame.file_name))
    if img is None:
        raise FileNotFoundError(f'image not found: {images / frame.file_name}')
    return img


def run(gt_files: List[Path], name: str, preset: str, seed: int, metainfo: str,
        images: Optional[Path], head_size_fallback: Optional[str],
        region_detector: Optional[List[str]] = None,
        corr: Optional[List[Optional[str]]] = None) -> Dict[str, dict]:
    """Track every video once; score plain and interpolated. Returns {'plain': .., 'interp': ..}.

    ``corr``: ``(config, checkpoint)`` of the correspondence tracker (``CORR_TRACKERS``)."""
    from plugins.evaluation import evaluate_posetrack
    posts = []
    if name in CORR_TRACKERS:
        tracker, posts, tcfg = build_correspondence(*(corr or (None, None)))
    else:
        tracker, tcfg = build_tracker(name, metainfo, region_detector)
    interp = POST_PROCESSORS.build(dict(type='TrackletInterpolation', min_num_frames=5,
                                        max_num_frames=20))
    degradation = PoseDegradation.from_preset(preset)
    gts, plain, filled = [], [], []
    seconds = 0.0
    for path in gt_files:
        video = load_posetrack_video(path)
        labeled = [i for i, f in enumerate(video.frames) if f.is_labeled]
        width = max((f.width for f in video.frames), default=0)
        height = max((f.height for f in video.frames), default=0)
        extent = (0, 0, width, height) if width and height else None
        degraded = degradation([video.frames[i].to_instances() for i in labeled],
                               tool.video_seed(seed, video.name), extent=extent)
        if name in CORR_TRACKERS:
            # as in the pipeline: a FrameContext per frame (features computed once), the
            # post-processors observe and their edits are applied ("as tracked"); interpolation
            # observes the same online results and is chained after them. Frame index =
            # position among the labeled frames (= the frame index where all are labeled, as
            # on the synthetic videos)
            frames = {i: load_frame(images, video.frames[i]) for i in labeled}
            order, online, post_edits, sec = corr_bench.run_frames(
                frames, dict(zip(labeled, degraded)), tracker, posts, observers=[interp])
            seconds += sec
            edits = interp.finalize(post_edits)
            gts.append(video)
            plain.append(prediction_video(video, {i: post_edits.apply(n, r) for n, (i, r) in
                                                  enumerate(zip(order, online))}))
            filled.append(prediction_video(video, {i: edits.apply(n, r) for n, (i, r) in
                                                   enumerate(zip(order, online))}))
            continue
        tracker.reset()
        interp.reset()
        results = {}
        for i, det in zip(labeled, degraded):
            frame = load_frame(images, video.frames[i])
            start = time.perf_counter()
            results[i] = tracker.update(frame, det)
            seconds += time.perf_counter() - start
            interp.observe(i, results[i])
        edits = interp.finalize(TrackEdits())
        gts.append(video)
        plain.append(prediction_video(video, results))
        filled.append(prediction_video(video, {i: edits.apply(i, r) for i, r in
                                               results.items()}))
    out = dict(tracker_cfg=tcfg, update_seconds=round(seconds, 3))
    for key, preds in (('plain', plain), ('interp', filled)):
        summary = evaluate_posetrack(gts, preds, head_size_fallback=head_size_fallback,
                                     metrics=['mota', 'hota']).summary()
        out[key] = {k: float(summary[k]) for k in ('MOTA', 'IDSW', 'HOTA', 'DetA', 'AssA',
                                                   'Precision', 'Recall') if k in summary}
    return out


def measure(args) -> None:
    gt_files = sorted(iter_video_files(args.gt))
    if not gt_files:
        raise FileNotFoundError(f'no PoseTrack18 video files in {args.gt}')
    images = Path(args.images) if args.images else None
    names = args.trackers or [n for n, (_, _, pix) in TRACKER_SPECS.items()
                              if (images is not None or not pix)
                              and (n not in REGION_TRACKERS or args.region_detector)
                              and (n not in CORR_TRACKERS or args.corr_checkpoint)]
    for name in set(names) & {*REGION_TRACKERS, *CORR_TRACKERS}:  # fail early, not after
        if images is None:                                       # the other runs
            raise ValueError(f'{name!r} needs the frames: give --images')
        if name in REGION_TRACKERS:
            region_scorer(args.region_detector)
        elif not args.corr_checkpoint:
            build_correspondence(args.corr_config, None)  # raises: no checkpoint
    out_path = Path(args.out)
    table = json.loads(out_path.read_text()) if out_path.is_file() else {}
    table.setdefault('dataset', args.dataset)
    table.setdefault('gt', str(args.gt))
    table.setdefault('runs', {})
    for preset in args.presets:
        for seed in args.seeds:
            for name in names:
                key = f'{name}|{preset}|{seed}'
                if key in table['runs'] and not args.force:
                    continue
                start = time.perf_counter()
                res = run(gt_files, name, preset, seed, args.metainfo, images,
                          args.head_size_fallback, args.region_detector,
                          (args.corr_config, args.corr_checkpoint))
                res['seconds'] = round(time.perf_counter() - start, 1)
                table['runs'][key] = res
                out_path.parent.mkdir(parents=True, exist_ok=True)
                out_path.write_text(json.dumps(table, indent=1))
                print(f'{key}: plain {res["plain"]} interp {res["interp"]} '
                      f'({res["seconds"]} s)', flush=True)


def markdown(files: List[str]) -> str:
    """The docs tables: one per dataset, rows = trackers, columns = preset x metric."""
    lines = []
    for path in files:
        table = json.loads(Path(path).read_text())
        runs = table['runs']
        order = ['none', 'light', 'medium', 'heavy']
        presets = sorted(dict.fromkeys(k.split('|')[1] for k in runs),
                         key=lambda p: order.index(p) if p in order else len(order))
        names = [n for n in TRACKER_SPECS if any(k.startswith(n + '|') for k in runs)]
        all_seeds = sorted({int(k.split('|')[2]) for k in runs})
        # per preset, the seeds measured for every tracker (one protocol per column)
        seeds = {p: [s for s in all_seeds if all(f'{n}|{p}|{s}' in runs for n in names)]
                 or all_seeds[:1] for p in presets}
        used = '; '.join(f'{p}: {", ".join(map(str, seeds[p]))}' for p in presets)
        lines.append(f'### {table["dataset"]} (mean over seeds {used}; each cell: as '
                     'tracked / with interpolation)\n')
        head = '| tracker | ' + ' | '.join(
            f'{p} {m}' for p in presets for m in ('MOTA', 'HOTA', 'IDSW')) + ' |'
        lines.append(head)
        lines.append('|---|' + '---:|' * (3 * len(presets)))
        for name in names:
            cells = []
            for p in presets:
                got = [runs[f'{name}|{p}|{s}'] for s in seeds[p] if f'{name}|{p}|{s}' in runs]
                for m, fmt in (('MOTA', '{:.1f}'), ('HOTA', '{:.1f}'), ('IDSW', '{:.1f}')):
                    if not got:
                        cells.append('-')
                        continue
                    a = np.mean([g['plain'][m] for g in got])
                    b = np.mean([g['interp'][m] for g in got])
                    cells.append(f'{fmt.format(a)} / {fmt.format(b)}')
            lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
        lines.append('')
    return '\n'.join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--dataset', default='bonn', help='name written in the table')
    p.add_argument('--gt', help='folder of PoseTrack18 per-video ground truth')
    p.add_argument('--images', default=None, help='image root of the file names (pixels)')
    p.add_argument('--metainfo', default='configs/_base_/datasets/posetrack18.py')
    p.add_argument('--head-size-fallback', default=None, choices=[None, 'head_segment'])
    p.add_argument('--presets', nargs='+', default=['light', 'medium', 'heavy'])
    p.add_argument('--seeds', nargs='+', type=int, default=[0])
    p.add_argument('--trackers', nargs='+', default=None, choices=sorted(TRACKER_SPECS))
    p.add_argument('--region-detector', nargs=2, default=None,
                   metavar=('CONFIG', 'CHECKPOINT'),
                   help="two-stage mmdet detector (config, checkpoint or 'none' for random "
                   "weights) whose RoI head scores the region tracker's regions; the 'region' "
                   'tracker runs only when this is given')
    p.add_argument('--corr-config', default=CORR_CONFIG,
                   help='config with the correspondence tracker (`tracker = dict(...)`) and its '
                   '`post_processors`')
    p.add_argument('--corr-checkpoint', default=None, metavar='CKPT',
                   help="trained correspondence network ('none' for random weights) replacing "
                   "every `checkpoint` of --corr-config; the 'correspondences' tracker runs only "
                   'when this is given')
    p.add_argument('--out', help='JSON file (runs already in it are skipped)')
    p.add_argument('--force', action='store_true', help='re-run runs already in --out')
    p.add_argument('--markdown', nargs='+', default=None, help='print tables from JSON files')
    args = p.parse_args(argv)
    if args.markdown:
        print(markdown(args.markdown))
        return
    if not args.gt or not args.out:
        p.error('--gt and --out are needed to measure')
    measure(args)


if __name__ == '__main__':
    main()

"""Correspondence tracking on the synthetic videos: the first version, each CorrTrack rule
alone, all of them (the defaults), the Re-ID variant and the paper's Table 7 ablations.

    python tools/analysis/corrtrack_ablation.py [--boxes detector gt noisy] [--videos N]
        [--variants previous "all (new defaults)" ...] [--work-dir work_dirs/kc_ablation]

Needs ``make data`` (``data/synthetic``), the demo's tiny pose model and, for
``--boxes detector``, its tiny person detector (``work_dirs/demo/{pose,detector}.pth``,
``make demo``) and the two tiny correspondence networks
(``tools/train.py`` on ``projects/kpt_correspondence/configs/siamese_`` then
``refine_bninception-tiny_synthetic-192x144.py``). Every variant runs the whole
``PoseTrackingPipeline`` (pose stage on the given boxes + recovered boxes, acceptance, pose
NMS, tracker, merging post-processor, output threshold) over the held-out ``val`` videos, on
the boxes of the demo's detector stage (``detector``: ``configs/demo/track_synthetic.py``'s
``MMDetPersonDetector``), the annotated person boxes (``gt``) or the boxes of ground-truth
poses degraded like a detector (``noisy``: misses of up to 3 frames, jitter, false positives;
seeded), and is scored by the PoseTrack metric (``evaluate_posetrack``). Prints a markdown
table (mAP, MOTA, IDSW per joint, keypoint HOTA, precision, recall, seconds) and writes
``WORK_DIR/results.json`` (also DetA, AssA).
"""
import argparse
import copy
import json
import os.path as osp
import sys
import time
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

PROJECT = 'projects/kpt_correspondence/configs/'
REFINE = (PROJECT + 'refine_bninception-tiny_synthetic-192x144.py',
          'work_dirs/refine_bninception-tiny_synthetic-192x144/epoch_2.pth')
SIAMESE = (PROJECT + 'siamese_bninception-tiny_synthetic-192x144.py',
           'work_dirs/siamese_bninception-tiny_synthetic-192x144/epoch_6.pth')
#: the demo's person detector (``tools/run_demo.py`` copies its final checkpoint there)
DETECTOR = ('configs/demo/rtmdet-tiny_synthetic-person-192x144.py', 'work_dirs/demo/detector.pth')

SHARED = dict(shared='corr_net')
#: the first version of every stage (before the CorrTrack rules)
PREVIOUS = dict(
    models=dict(corr_net=dict(type='CorrespondenceModel', model=REFINE[0],
                              checkpoint=REFINE[1])),
    pose_nms=dict(type='OKSNMS', threshold=0.9, score_mode='bbox_x_keypoint_mean',
                  area_mode='bbox', min_joints=0),
    recovery=dict(type='CorrespondenceRecovery', model=SHARED, propagate_from='all',
                  joint_threshold=0.4, min_propagated_score=0.1, min_joints=3,
                  bbox_padding=1.25, min_accept_joints=0, oks_threshold=0.5, area_mode='bbox'),
    tracker=dict(type='CorrespondenceTracker', model=SHARED, score='affinity',
                 assignment='greedy', joint_threshold=0.4, match_threshold=0.04,
                 temporal_distance=3, duplicate_removal='tracks', duplicate_oks=0.8),
    post_processors=[dict(type='CorrespondenceTrackMerging', model=SHARED, joint_threshold=0.4,
                          oks_threshold=0.5, max_gap=10, min_track_length=1)],
    keypoint_score_thr=None, min_keypoints=0)

#: one CorrTrack rule each (issue 16 items 1-4, 6), as overrides of PREVIOUS
CHANGES = dict(
    gates=dict(tracker=dict(score='gated', assignment='nomination', match_threshold=0.1)),
    dup_detections=dict(tracker=dict(duplicate_removal='detections', duplicate_ratio=0.6)),
    output_thr=dict(keypoint_score_thr=0.3),
    pruning=dict(keypoint_score_thr=0.3, min_keypoints=2,
                 tracker=dict(joint_threshold=0.1), recovery=dict(joint_threshold=0.1),
                 post_processors=[dict(type='CorrespondenceTrackMerging', model=SHARED,
                                       joint_threshold=0.1, oks_threshold=0.5, max_gap=10,
                                       min_track_length=3)]),
    nms_recovery=dict(
        pose_nms=dict(threshold=0.7, score_mode='keypoint_mean', area_mode='keypoints',
                      min_joints=2, min_joint_score=0.1),
        recovery=dict(propagate_from='detected', bbox_padding=1.0, min_accept_joints=5,
                      accept_joint_thr=0.1, oks_threshold=0.6, area_mode='keypoints')),
)
ALL = ('gates', 'dup_detections', 'pruning', 'nms_recovery')
REID = dict(tracker=dict(reid=dict(embedder=dict(type='ColorHistogramEmbedder'),
                                   max_inactive=10, window=10, threshold=0.5)))


def merge(a: dict, b: dict) -> dict:
    """``a`` updated recursively by ``b``."""
    out = copy.deepcopy(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) \
            else copy.deepcopy(v)
    return out


def variants() -> Dict[str, dict]:
    """name -> pipeline overrides (relative to configs/demo/track_synthetic.py)."""
    out = {'previous': PREVIOUS}
    for name, change in CHANGES.items():
        out[f'previous + {name}'] = merge(PREVIOUS, change)
    new = PREVIOUS
    for name in ALL:
        new = merge(new, CHANGES[name])
    out['all (new defaults)'] = new
    out['all + Re-ID'] = merge(new, REID)
    window = dict(affinity_window=1)  # the Siamese softmax maps are read over 3x3 cells
    out['all, no refinement (Table 7)'] = merge(new, dict(
        models=dict(corr_net=dict(model=SIAMESE[0], checkpoint=SIAMESE[1])), tracker=window,
        recovery=window, post_processors=[dict(new['post_processors'][0], **window)]))
    out['all, no duplicate removal (Table 7)'] = merge(new, dict(tracker=dict(
        duplicate_removal=None)))
    out['all, no recovery'] = merge(new, dict(recovery=None))
    return out


def _ckpt(path: Optional[str]) -> Optional[str]:
    return None if path in (None, 'none', 'None') else path


def build_pipeline(overrides: dict, pose_checkpoint: str, detector: Optional[tuple] = None,
                   corr_checkpoints: Optional[Dict[str, str]] = None):
    """The demo's pipeline (tiny pose model) with the correspondence stages of a variant.

    Args:
        detector: ``(config, checkpoint)`` of the demo config's detector stage (its score
            threshold, box extension and ``max_persons`` kept); None: boxes are given.
        corr_checkpoints: ``{network config: checkpoint}`` replacing the variant's one.
    """
    from mmengine.config import Config
    from plugins.registry import TRACKING_PIPELINES
    cfg = Config.fromfile('configs/demo/track_synthetic.py')
    pipe = cfg.tracking_pipeline.to_dict()
    for k, v in overrides.items():
        pipe[k] = copy.deepcopy(v)
    net = pipe['models']['corr_net']
    net['checkpoint'] = _ckpt((corr_checkpoints or {}).get(net['model'], net['checkpoint']))
    # boxes given (ground truth or degraded ground truth) or the demo's detector stage
    pipe['detector'] = None if detector is None else dict(
        pipe['detector'], config=detector[0], checkpoint=_ckpt(detector[1]))
    pipe['pose_estimator']['checkpoint'] = _ckpt(pose_checkpoint)
    return TRACKING_PIPELINES.build(pipe)


def video_inputs(video, root: str, boxes: str, seed: int):
    """Frames and per-frame person boxes of a video: the annotated boxes (``gt``), those of
    ground-truth poses degraded like a detector (``noisy``: ``PoseDegradation('medium')``,
    seeded per video: jitter, misses of up to 3 frames, false positives) or None
    (``detector``: the pipeline's detector stage finds them)."""
    import zlib

    import cv2
    import numpy as np
    from plugins.tracking.pose_degradation import PoseDegradation
    frames = []
    for f in video.frames:
        img = cv2.imread(osp.join(root, f.file_name))
        if img is None:
            raise FileNotFoundError(f'cannot read frame {osp.join(root, f.file_name)}')
        frames.append(img)
    if boxes == 'detector':
        return frames, None
    if boxes == 'gt':
        out = []
        for f in video.frames:
            ok = np.isfinite(f.bboxes).all(1) & (f.keypoint_scores > 0).any(1)
            out.append(f.bboxes[ok])
        return frames, out
    h, w = frames[0].shape[:2]
    rng = np.random.default_rng([seed, zlib.crc32(video.name.encode())])
    degraded = PoseDegradation.from_preset('medium')([f.to_instances() for f in video.frames],
                                                    rng, extent=(0, 0, w, h))
    return frames, [np.asarray(d.bboxes, np.float32).reshape(-1, 4) for d in degraded]


def main(argv: Optional[List[str]] = None) -> Dict:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--boxes', nargs='+', default=['gt', 'noisy'],
                   choices=['detector', 'gt', 'noisy'])
    p.add_argument('--data-root', default='data/synthetic')
    p.add_argument('--pose-checkpoint', default='work_dirs/demo/pose.pth',
                   help='"none": random weights (tests)')
    p.add_argument('--detector-config', default=DETECTOR[0], help='for --boxes detector')
    p.add_argument('--detector-checkpoint', default=DETECTOR[1], help='"none": random weights')
    p.add_argument('--refine-checkpoint', default=REFINE[1],
                   help='the refined correspondence network ("none": random weights)')
    p.add_argument('--siamese-checkpoint', default=SIAMESE[1],
                   help='the Siamese network of "no refinement" ("none": random weights)')
    p.add_argument('--videos', type=int, default=None, help='only the first N val videos')
    p.add_argument('--variants', nargs='+', default=None, help='names (default: all)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--work-dir', default='work_dirs/kc_ablation')
    args = p.parse_args(argv)
    import os

    import plugins  # noqa: F401
    from mmengine.logging import MMLogger
    from plugins.datasets.posetrack_json import load_posetrack_folder, prediction_video
    from plugins.evaluation import evaluate_posetrack
    MMLogger.get_current_instance().setLevel('WARNING')
    videos = load_posetrack_folder(osp.join(args.data_root, 'annotations', 'val'))
    videos = videos[:args.videos] if args.videos else videos
    todo = variants()
    if args.variants:
        todo = {k: v for k, v in todo.items() if k in args.variants}
    os.makedirs(args.work_dir, exist_ok=True)
    out_file = osp.join(args.work_dir, 'results.json')
    results: Dict[str, Dict[str, dict]] = {}
    if osp.isfile(out_file):
        with open(out_file) as f:
            results = json.load(f)
    inputs = {b: [video_inputs(v, args.data_root, b, args.seed) for v in videos]
              for b in args.boxes}
    corr = {REFINE[0]: args.refine_checkpoint, SIAMESE[0]: args.siamese_checkpoint}
    for boxes in args.boxes:
        detector = (args.detector_config, args.detector_checkpoint) if boxes == 'detector' \
            else None
        for name, ov in todo.items():
            pipe = build_pipeline(ov, args.pose_checkpoint, detector, corr)
            t0 = time.perf_counter()
            preds = []
            for video, (frames, frame_boxes) in zip(videos, inputs[boxes]):
                final = pipe.run_video(frames, bboxes=frame_boxes)
                preds.append(prediction_video(video, dict(enumerate(final))))
            seconds = time.perf_counter() - t0
            res = evaluate_posetrack(videos, preds, metrics=('map', 'mota', 'hota'))
            mota, hota = res.mota_table(), res.hota_table()
            nan = float('nan')
            row = dict(mAP=float(res.ap_table()['Total']), MOTA=float(mota['Total']),
                       IDSW=float(mota['IDSW']), HOTA=hota.get('Total', nan),
                       DetA=hota.get('DetA', nan), AssA=hota.get('AssA', nan),
                       Precision=float(mota['Precision']),
                       Recall=float(mota['Recall']), seconds=seconds,
                       frames=sum(len(v.frames) for v in videos))
            results.setdefault(boxes, {})[name] = row
            print(f'[{boxes}] {name}: ' + ', '.join(f'{k} {v:.2f}' for k, v in row.items()),
                  flush=True)
            with open(out_file, 'w') as f:
                json.dump(results, f, indent=1)
    for boxes, rows in results.items():
        print(f'\n{boxes} boxes, {len(videos)} val videos')
        print('| variant | mAP | MOTA | IDSW | HOTA | precision | recall | s |')
        print('|---|---|---|---|---|---|---|---|')
        for name, r in rows.items():
            print(f'| {name} | {r["mAP"]:.1f} | {r["MOTA"]:.1f} | {r["IDSW"]:.2f} | '
                  f'{r.get("HOTA", float("nan")):.1f} | {r["Precision"]:.1f} | '
                  f'{r["Recall"]:.1f} | {r["seconds"]:.0f} |')
    return results


if __name__ == '__main__':
    main()

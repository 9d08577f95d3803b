"""Correspondence tracking on the synthetic videos: the first version, each CorrTrack rule
alone, all of them (the defaults), the Re-ID variant and the paper's Table 7 ablations.

    python tools/analysis/corrtrack_ablation.py [--boxes gt noisy] [--videos N]
        [--variants previous "all (new defaults)" ...] [--work-dir work_dirs/kc_ablation]

Needs ``make data`` (``data/synthetic``), the demo's tiny pose model
(``work_dirs/demo/pose.pth``, ``make demo``) and the two tiny correspondence networks
(``tools/train.py`` on ``projects/kpt_correspondence/configs/siamese_`` then
``refine_bninception-tiny_synthetic-192x144.py``). Every variant runs the whole
``PoseTrackingPipeline`` (pose stage on the given boxes + recovered boxes, acceptance, pose
NMS, tracker, merging post-processor, output threshold) over the held-out ``val`` videos, given
the annotated person boxes (``gt``) or the boxes of ground-truth poses degraded like a detector
(``noisy``: misses of up to 3 frames, jitter, false positives; seeded), and is scored by the
PoseTrack metric (``evaluate_posetrack``). Prints a markdown table (mAP, MOTA, IDSW per joint,
precision, recall, seconds) and writes ``WORK_DIR/results.json``.
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


def build_pipeline(overrides: dict, pose_checkpoint: str):
    """The demo's pipeline (tiny pose model) with the correspondence stages of a variant."""
    from mmengine.config import Config
    from plugins.registry import TRACKING_PIPELINES
    cfg = Config.fromfile('configs/demo/track_synthetic.py')
    pipe = cfg.tracking_pipeline.to_dict()
    for k, v in overrides.items():
        pipe[k] = copy.deepcopy(v)
    pipe['detector'] = None  # boxes are given: ground truth or degraded ground truth
    pipe['pose_estimator']['checkpoint'] = (None if pose_checkpoint in ('none', 'None')
                                           else pose_checkpoint)
    return TRACKING_PIPELINES.build(pipe)


def video_inputs(video, root: str, boxes: str, seed: int):
    """Frames and per-frame person boxes of a video: the annotated boxes (``gt``) or those of
    ground-truth poses degraded like a detector (``noisy``: ``PoseDegradation('medium')``,
    seeded per video: jitter, misses of up to 3 frames, false positives)."""
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
    p.add_argument('--boxes', nargs='+', default=['gt', 'noisy'], choices=['gt', 'noisy'])
    p.add_argument('--data-root', default='data/synthetic')
    p.add_argument('--pose-checkpoint', default='work_dirs/demo/pose.pth')
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
    for boxes in args.boxes:
        for name, ov in todo.items():
            pipe = build_pipeline(ov, args.pose_checkpoint)
            t0 = time.perf_counter()
            preds = []
            for video, (frames, frame_boxes) in zip(videos, inputs[boxes]):
                final = pipe.run_video(frames, bboxes=frame_boxes)
                preds.append(prediction_video(video, dict(enumerate(final))))
            seconds = time.perf_counter() - t0
            res = evaluate_posetrack(videos, preds)
            mota = res.mota_table()
            row = dict(mAP=float(res.ap_table()['Total']), MOTA=float(mota['Total']),
                       IDSW=float(mota['IDSW']), Precision=float(mota['Precision']),
                       Recall=float(mota['Recall']), seconds=seconds,
                       frames=sum(len(v.frames) for v in videos))
            results.setdefault(boxes, {})[name] = row
            print(f'[{boxes}] {name}: ' + ', '.join(f'{k} {v:.2f}' for k, v in row.items()),
                  flush=True)
            with open(out_file, 'w') as f:
                json.dump(results, f, indent=1)
    for boxes, rows in results.items():
        print(f'\n{boxes} boxes, {len(videos)} val videos')
        print('| variant | mAP | MOTA | IDSW | precision | recall | s |')
        print('|---|---|---|---|---|---|---|')
        for name, r in rows.items():
            print(f'| {name} | {r["mAP"]:.1f} | {r["MOTA"]:.1f} | {r["IDSW"]:.2f} | '
                  f'{r["Precision"]:.1f} | {r["Recall"]:.1f} | {r["seconds"]:.0f} |')
    return results


if __name__ == '__main__':
    main()

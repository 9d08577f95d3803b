"""Correspondence tracking on the synthetic videos: the first version, each CorrTrack rule
alone, all of them (the defaults), the Re-ID variant and the paper's Table 7 ablations.

    python tools/analysis/corrtrack_ablation.py [--boxes gt det] [--videos N]
        [--variants previous all ...] [--work-dir work_dirs/kc_ablation]

Needs ``make data`` (``data/synthetic``), ``make demo`` (``work_dirs/demo/{detector,pose}.pth``:
the tiny detector and pose model) and the two tiny correspondence networks (``tools/train.py``
on ``projects/kpt_correspondence/configs/siamese_`` then ``refine_bninception-tiny_synthetic-
192x144.py``). Every variant runs the whole pipeline of ``tools/test.py`` (pose NMS, recovery,
tracker, offline pass, output threshold) over the held-out ``val`` videos, with the annotated
person boxes (``gt``) or the demo detector (``det``), and is scored by ``PoseTrackMetric``.
Prints a markdown table (mAP, MOTA, IDSW, precision, recall, seconds) and writes
``WORK_DIR/results.json``.
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


def build_cfg(overrides: dict, boxes: str, videos: Optional[List[str]], work_dir: str):
    from mmengine.config import Config
    cfg = Config.fromfile('configs/demo/track_synthetic.py')
    pipe = cfg.tracking_pipeline.to_dict()
    for k, v in overrides.items():
        pipe[k] = copy.deepcopy(v)
    if boxes == 'gt':
        pipe['detector'] = None
    cfg.tracking_pipeline = pipe
    if videos:
        cfg.test_dataloader.dataset.videos = videos
    cfg.work_dir = work_dir
    return cfg


def main(argv: Optional[List[str]] = None) -> Dict:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--boxes', nargs='+', default=['gt', 'det'], choices=['gt', 'det'])
    p.add_argument('--videos', type=int, default=None, help='only the first N val videos')
    p.add_argument('--variants', nargs='+', default=None, help='names (default: all)')
    p.add_argument('--work-dir', default='work_dirs/kc_ablation')
    args = p.parse_args(argv)
    import plugins  # noqa: F401
    from mmengine.logging import MMLogger
    from plugins.apis import run_tracking_test
    from plugins.datasets.posetrack_json import iter_video_files
    MMLogger.get_current_instance().setLevel('WARNING')
    names = sorted(p.stem for p in iter_video_files('data/synthetic/annotations/val'))
    names = names[:args.videos] if args.videos else None
    todo = variants()
    if args.variants:
        todo = {k: v for k, v in todo.items() if k in args.variants}
    results: Dict[str, Dict[str, dict]] = {}
    out_file = osp.join(args.work_dir, 'results.json')
    if osp.isfile(out_file):
        results = json.load(open(out_file))
    for boxes in args.boxes:
        for name, ov in todo.items():
            wd = osp.join(args.work_dir, boxes, name.replace(' ', '_').replace(',', '')
                          .replace('(', '').replace(')', '').replace('+', 'p'))
            cfg = build_cfg(ov, boxes, names, wd)
            t0 = time.perf_counter()
            m = run_tracking_test(cfg, argparse.Namespace(checkpoint=None, show_dir=None,
                                                          show=False))
            row = {k.split('/')[-1]: float(v) for k, v in m.items()
                   if k.split('/')[-1] in ('mAP', 'MOTA', 'IDSW', 'Precision', 'Recall')}
            row['seconds'] = time.perf_counter() - t0
            results.setdefault(boxes, {})[name] = row
            print(f'[{boxes}] {name}: ' + ', '.join(f'{k} {v:.2f}' for k, v in row.items()),
                  flush=True)
            with open(out_file, 'w') as f:
                json.dump(results, f, indent=1)
    for boxes, rows in results.items():
        print(f'\n{boxes} boxes, {len(names) if names else "all"} val videos')
        print('| variant | mAP | MOTA | IDSW | precision | recall | s |')
        print('|---|---|---|---|---|---|---|')
        for name, r in rows.items():
            print(f'| {name} | {r["mAP"]:.1f} | {r["MOTA"]:.1f} | {r["IDSW"]:.2f} | '
                  f'{r["Precision"]:.1f} | {r["Recall"]:.1f} | {r["seconds"]:.0f} |')
    return results


if __name__ == '__main__':
    main()

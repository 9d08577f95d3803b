"""The paper's Table 3: PoseTrack mAP and MOTA over the output joint threshold, with and
without recovery.

    python tools/analysis/sweep_output_threshold.py \\
        projects/kpt_correspondence/configs/track_posetrack18.py none \\
        [--thresholds 0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9] [--work-dir DIR] \\
        [--cfg-options test_dataloader.dataset.data_root=data/posetrack18/ ...]

The output threshold (``tracking_pipeline.keypoint_score_thr``, tau) only changes what is
reported: joints scored below it are written as missing and poses left with fewer than
``tracking_pipeline.min_keypoints`` joints are dropped, after tracking and after the offline
pass. So each setting (with recovery, and the same config with ``recovery=None``) is tracked
**once** by ``tools/test.py``'s runner with every joint reported, and each tau is then applied
to the written predictions and scored against the ground truth (the same numbers as running
``tools/test.py`` with ``keypoint_score_thr=tau``, for a fraction of the time).

Prints the table and writes ``sweep_output_threshold.json`` into the work dir.
"""
import argparse
import dataclasses
import json
import os.path as osp
import sys
from typing import Dict, List, Optional

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmengine.config import DictAction  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('config', help='tracking config (tracking_pipeline + test_dataloader)')
    p.add_argument('checkpoint', help='pose model checkpoint or "none" (the config\'s own)')
    p.add_argument('--thresholds', type=float, nargs='+',
                   default=[0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    p.add_argument('--work-dir', default='work_dirs/sweep_output_threshold')
    p.add_argument('--no-recovery-only', action='store_true',
                   help='only the "without recovery" column (configs without recovery)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                   help='config overrides (data paths, checkpoints), as tools/test.py')
    return p.parse_args(argv)


def threshold_video(video, tau: float, min_keypoints: int):
    """A prediction video with joints below ``tau`` missing and poses with fewer than
    ``min_keypoints`` joints >= ``tau`` dropped."""
    frames = []
    for f in video.frames:
        scores = f.keypoint_scores
        keep = ((scores >= tau).sum(1) >= min_keypoints) if min_keypoints > 0 else \
            np.ones(len(scores), bool)
        low = scores[keep] < tau
        frames.append(dataclasses.replace(
            f, keypoints=np.where(low[..., None], 0, f.keypoints[keep]),
            keypoint_scores=np.where(low, 0, scores[keep]), track_ids=f.track_ids[keep],
            bboxes=f.bboxes[keep], head_bboxes=f.head_bboxes[keep],
            bbox_scores=f.bbox_scores[keep], person_ids=f.person_ids[keep]))
    return dataclasses.replace(video, frames=frames)


def track_once(config: str, checkpoint: str, options: dict, work_dir: str):
    """Run tools/test.py's tracking test with every joint reported; returns (cfg, folder)."""
    from plugins.apis import run_tracking_test
    from plugins.utils.cli import load_config
    opts = dict(options)
    opts['tracking_pipeline.keypoint_score_thr'] = None
    cfg = load_config(config, opts)
    cfg.work_dir = work_dir
    run_tracking_test(cfg, argparse.Namespace(checkpoint=checkpoint, show_dir=None,
                                              show=False))
    return cfg, osp.join(work_dir, 'tracking_results')


def score(cfg, result_dir: str, thresholds: List[float], min_keypoints: int) -> Dict:
    """mAP / MOTA per threshold of the predictions in ``result_dir``."""
    from plugins.datasets.posetrack_json import load_posetrack_folder, load_posetrack_video
    from plugins.evaluation import evaluate_posetrack
    ds = cfg.test_dataloader.dataset
    ann = ds.ann_file if osp.isabs(ds.ann_file) else osp.join(ds.get('data_root', ''),
                                                             ds.ann_file)
    names = ds.get('videos')
    gts = load_posetrack_folder(ann, names)
    preds = [load_posetrack_video(osp.join(result_dir, f'{v.name}.json')) for v in gts]
    out = {}
    for tau in thresholds:
        res = evaluate_posetrack(gts, [threshold_video(p, tau, min_keypoints) for p in preds])
        out[tau] = dict(mAP=float(res.ap_table()['Total']),
                        MOTA=float(res.mota_table()['Total']))
    return out


def main(argv: Optional[List[str]] = None) -> Dict:
    args = parse_args(argv)
    from plugins.utils.cli import load_config
    base = load_config(args.config, dict(args.cfg_options))
    min_keypoints = int(base.tracking_pipeline.get('min_keypoints', 0) or 0)
    settings = [] if args.no_recovery_only else [('with recovery', {})]
    if base.tracking_pipeline.get('recovery') is not None or args.no_recovery_only:
        settings.append(('without recovery', {'tracking_pipeline.recovery': None}))
    table = {}
    for name, extra in settings:
        opts = dict(args.cfg_options)
        opts.update(extra)
        cfg, result_dir = track_once(args.config, args.checkpoint, opts,
                                     osp.join(args.work_dir, name.replace(' ', '_')))
        table[name] = score(cfg, result_dir, args.thresholds, min_keypoints)
    cols = list(table)
    print(f'{"tau":>5s} ' + ' '.join(f'{c + " mAP":>22s} {c + " MOTA":>22s}' for c in cols))
    for tau in args.thresholds:
        print(f'{tau:5.2f} ' + ' '.join(f'{table[c][tau]["mAP"]:22.1f} '
                                        f'{table[c][tau]["MOTA"]:22.1f}' for c in cols))
    with open(osp.join(args.work_dir, 'sweep_output_threshold.json'), 'w') as f:
        json.dump(dict(config=args.config, min_keypoints=min_keypoints,
                       results={c: {str(t): v for t, v in r.items()}
                                for c, r in table.items()}), f, indent=1)
    return table


if __name__ == '__main__':
    main()

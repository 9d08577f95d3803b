"""PoseTrack mAP of top-down predictions dumped earlier by ``tools/test.py --out``.

``tools/test.py`` prints PoseTrack mAP itself (the configs' ``PoseTrackMetric(gt_dir=...)``);
this script re-scores a saved dump without running the model again, e.g. in ``poseval`` mode.
It hands the per-person predictions to the same ``PoseTrackMetric`` with ``gt_dir``.

    python projects/flowing_convnets/tools/posetrack_map.py PRED.pkl \
        --gt data/synthetic/annotations/val [--mode default|poseval] [--out result.json]
"""
import argparse
import json
import os.path as osp
import sys
from typing import List

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))))

from plugins.evaluation.posetrack_metric import PoseTrackMetric  # noqa: E402


def posetrack_map(preds: List[dict], gt_dir: str, mode: str = 'default') -> dict:
    """Score dumped top-down predictions against the per-video ground truth.

    Args:
        preds: the ``tools/test.py --out`` dump (list of per-sample dicts).
        gt_dir: folder of PoseTrack18 per-video ground-truth files.
        mode: ``PoseTrackMetric`` mode (``'default'`` or ``'poseval'``).

    Returns:
        The metric dict (``posetrack/AP_Head`` ... ``posetrack/mAP``).
    """
    metric = PoseTrackMetric(mode=mode, gt_dir=gt_dir)
    metric.process(None, preds)
    return {f'posetrack/{k}': v for k, v in metric.compute_metrics(metric.results).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('pred', help='pickle written by tools/test.py --out')
    parser.add_argument('--gt', required=True, help='folder of per-video ground-truth files')
    parser.add_argument('--mode', default='default', choices=['default', 'poseval'])
    parser.add_argument('--out', help='write the metric dict as JSON here')
    args = parser.parse_args()
    from mmengine.fileio import load
    if not osp.isfile(args.pred):
        raise FileNotFoundError(f'prediction file not found: {args.pred}')
    result = posetrack_map(load(args.pred), args.gt, args.mode)
    print(json.dumps(result, indent=1))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)


if __name__ == '__main__':
    main()

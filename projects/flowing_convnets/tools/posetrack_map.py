"""PoseTrack mAP of top-down predictions dumped by ``tools/test.py --out``, scored by the
project's ``PoseTrackMetric``.

``tools/test.py`` runs top-down models on one person crop per sample; ``PoseTrackMetric`` scores
whole frames (every person with its head box, ignore regions). This script groups the dumped
per-person predictions by frame, takes each frame's ground truth from the PoseTrack18 per-video
files and hands the frames to ``PoseTrackMetric`` (frames with ground truth but no prediction
count as misses).

    python projects/flowing_convnets/tools/posetrack_map.py PRED.pkl \
        --gt data/synthetic/annotations/val [--mode default|poseval] [--out result.json]
"""
import argparse
import json
import os.path as osp
import sys
from collections import defaultdict
from typing import Dict, List, Tuple

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))))

from plugins.datasets.posetrack_json import load_posetrack_folder  # noqa: E402
from plugins.evaluation.posetrack_data_sample import frame_to_data_sample  # noqa: E402
from plugins.evaluation.posetrack_metric import PoseTrackMetric  # noqa: E402


def _as_array(value, dtype=np.float32) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=dtype)


def group_predictions(preds: List[dict], k: int) -> Dict[int, Tuple[np.ndarray, np.ndarray]]:
    """``{img_id: (keypoints (M, K, 2), keypoint_scores (M, K))}`` from per-sample dumps.

    Args:
        preds: data samples as dicts (``img_id``, ``pred_instances``) from ``DumpResults``.
        k: keypoints per person.

    Returns:
        The predictions of each image id.
    """
    kpts, scores = defaultdict(list), defaultdict(list)
    for i, p in enumerate(preds):
        if 'img_id' not in p or 'pred_instances' not in p:
            raise KeyError(f'prediction {i} has no "img_id" / "pred_instances" (keys: '
                           f'{sorted(p)[:12]}); dump it with tools/test.py --out')
        inst = p['pred_instances']
        kp = _as_array(inst['keypoints'])[..., :2].reshape(-1, k, 2)
        kpts[int(p['img_id'])].append(kp)
        scores[int(p['img_id'])].append(_as_array(inst['keypoint_scores']).reshape(-1, k))
    return {i: (np.concatenate(kpts[i]), np.concatenate(scores[i])) for i in kpts}


def posetrack_map(preds: List[dict], gt_dir: str, mode: str = 'default') -> dict:
    """Score dumped top-down predictions against the per-video ground truth.

    Args:
        preds: the ``tools/test.py --out`` dump (list of per-sample dicts).
        gt_dir: folder of PoseTrack18 per-video ground-truth files.
        mode: ``PoseTrackMetric`` mode (``'default'`` or ``'poseval'``).

    Returns:
        The metric dict (``posetrack/AP_Head`` ... ``posetrack/mAP``).
    """
    videos = load_posetrack_folder(gt_dir)
    if not videos:
        raise FileNotFoundError(f'no PoseTrack18 files in {gt_dir}')
    names = list(videos[0].categories[0]['keypoints'])
    by_image = group_predictions(preds, len(names))
    known = {fr.image_id for v in videos for fr in v.frames}
    unknown = sorted(set(by_image) - known)
    if unknown:
        raise KeyError(f'{len(unknown)} predicted image ids are not in {gt_dir} '
                       f'(e.g. {unknown[:3]})')
    metric = PoseTrackMetric(mode=mode, keypoint_names=names)
    samples = []
    for video in videos:
        if not any(fr.image_id in by_image for fr in video.frames):
            continue  # a video the predictions do not cover
        for frame in video.frames:
            kp, sc = by_image.get(frame.image_id, (np.zeros((0, len(names), 2), np.float32),
                                                   np.zeros((0, len(names)), np.float32)))
            samples.append(frame_to_data_sample(frame, video.name, dict(
                keypoints=kp, keypoint_scores=sc)))
    metric.process(None, samples)
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

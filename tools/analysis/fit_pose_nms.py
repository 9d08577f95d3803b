"""Learn the parametric pose NMS parameters (sigma1, sigma2, lambda, eta) on validation data.

    python tools/analysis/fit_pose_nms.py ANN.json CANDIDATES [--preset paper] [--out fit.json]

``CANDIDATES`` are the poses of a top-down model on detected boxes *before* any NMS, either

* the ``--out preds.pkl`` dump of ``tools/test.py`` (every box's ``pred_instances``), or
* a COCO keypoint results JSON whose entries also carry the ``bbox`` (``xywh``) they were
  estimated in and its ``score`` as box score (e.g. written by mmpose's ``CocoMetric`` with
  ``nms_mode='none'``, ``score_mode='bbox'`` and an ``outfile_prefix``).

RMPE's procedure (Sec. 3.3): maximise the COCO keypoint AP on the validation set by optimising
two parameters with the other two fixed, alternately, until convergence
(:func:`plugins.post_processing.pose_nms_fitting.alternating_search`; the pairs are
``(lambda, eta)`` and ``(sigma1, sigma2)``, each step a multiplicative grid around the current
values). AP is computed with xtcocotools exactly as ``PoseNMSCocoMetric`` computes it: each
kept pose is scored by the NMS's own output score (``output_score`` of the parameters; without
NMS, mmpose ``CocoMetric``'s ``bbox_score * mean joint score above 0.2``). ``--out`` writes every
parameter of the fitted NMS (plus the search history) in the file format that
``ParametricPoseNMS(preset=..., params_file=...)`` reads.
"""
import argparse
import json
import os.path as osp
import sys
from typing import List

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from plugins.post_processing.parametric_pose_nms import (PoseNMSParams,  # noqa: E402
                                                         save_pose_nms_params)
from plugins.post_processing.pose_nms_fitting import (CandidatePoses,  # noqa: E402
                                                      alternating_search, nms_coco_ap)
from plugins.post_processing.pose_nms_presets import PRESET_NAMES, pose_nms_preset  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Fit the parametric pose NMS parameters')
    parser.add_argument('ann', help='COCO-style keypoint ground truth of the validation set')
    parser.add_argument('candidates', help='tools/test.py --out .pkl dump or COCO results JSON')
    parser.add_argument('--preset', default='paper', choices=PRESET_NAMES,
                        help='form of the NMS and starting values')
    parser.add_argument('--metainfo', default='configs/_base_/datasets/coco.py',
                        help='mmpose dataset_info file with the OKS sigmas')
    parser.add_argument('--factors', type=float, nargs='+', default=[0.5, 0.71, 1.0, 1.41, 2.0],
                        help='multiplicative grid around the current values')
    parser.add_argument('--max-rounds', type=int, default=10)
    parser.add_argument('--pose-score', default='nms', choices=('nms', 'coco'),
                        help="score of a kept pose: the NMS's output score (as "
                        "PoseNMSCocoMetric's default) or CocoMetric's rescoring")
    parser.add_argument('--out', help='write the fitted parameters (JSON, read by '
                        'ParametricPoseNMS(params_file=...))')
    return parser.parse_args(argv)


def _records_from_dump(samples: list, where: str) -> List[dict]:
    records = []
    for i, s in enumerate(samples):
        try:
            pred = s['pred_instances']
            img_id = s['img_id']
        except (KeyError, TypeError):
            raise ValueError(f'{where}: sample {i} is not a pose data sample dict with '
                             '"pred_instances" and "img_id"') from None
        for field in ('keypoints', 'keypoint_scores', 'bboxes', 'bbox_scores'):
            if field not in pred:
                raise ValueError(f'{where}: sample {i} pred_instances lack "{field}"')
        for j in range(len(pred['keypoints'])):
            records.append(dict(
                image_id=int(img_id), keypoints=np.asarray(pred['keypoints'][j])[:, :2],
                keypoint_scores=np.asarray(pred['keypoint_scores'][j]),
                bbox=np.asarray(pred['bboxes'][j]), bbox_score=float(pred['bbox_scores'][j])))
    return records


def _records_from_coco_results(results: list, where: str) -> List[dict]:
    records = []
    for i, r in enumerate(results):
        if 'bbox' not in r:
            raise ValueError(f'{where}: result {i} has no "bbox" (the box the pose was '
                             'estimated in); the NMS needs it')
        k = np.asarray(r['keypoints'], np.float64).reshape(-1, 3)
        x, y, w, h = r['bbox']
        records.append(dict(image_id=int(r['image_id']), keypoints=k[:, :2],
                            keypoint_scores=k[:, 2], bbox=np.array([x, y, x + w, y + h]),
                            bbox_score=float(r.get('score', 1.0))))
    return records


def load_candidates(path: str) -> CandidatePoses:
    """Candidate poses from a ``tools/test.py --out`` pickle or a COCO results JSON."""
    if path.endswith('.json'):
        with open(path) as f:
            records = _records_from_coco_results(json.load(f), path)
    else:
        from mmengine.fileio import load
        records = _records_from_dump(load(path), path)
    if not records:
        raise ValueError(f'{path}: no candidate poses')
    return CandidatePoses.from_records(records)


def main(argv=None) -> dict:
    args = parse_args(argv)
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    from xtcocotools.coco import COCO
    import contextlib
    import io
    sigmas = parse_pose_metainfo(dict(from_file=args.metainfo))['sigmas']
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(args.ann)
    cands = load_candidates(args.candidates)
    preset = pose_nms_preset(args.preset)
    names = ('sigma1', 'sigma2', 'lam', 'eta')

    def objective(values: dict) -> float:
        return nms_coco_ap(coco, cands, PoseNMSParams(**{**preset, **values}), sigmas,
                           args.pose_score)

    init = {k: float(preset[k]) for k in names}
    no_nms = nms_coco_ap(coco, cands, None, sigmas)
    best, history = alternating_search(objective, init, factors=args.factors,
                                       max_rounds=args.max_rounds)
    result = dict(preset=args.preset, pose_score=args.pose_score, init=init,
                  init_ap=history[0]['score'], best=best,
                  best_ap=max(h['score'] for h in history), no_nms_ap=no_nms,
                  num_candidates=len(cands), num_images=len(cands.image_ids),
                  evaluations=len(history), history=history)
    print(f'{len(cands)} candidate poses in {len(cands.image_ids)} images; AP without NMS '
          f'{no_nms:.4f}, with the {args.preset} preset {result["init_ap"]:.4f}, fitted '
          f'{result["best_ap"]:.4f} ({len(history)} evaluations)')
    if args.out:
        save_pose_nms_params(args.out, args.preset, PoseNMSParams(**{**preset, **best}),
                             **{k: v for k, v in result.items() if k != 'preset'})
        print(f'pose_nms = dict(type=\'ParametricPoseNMS\', preset={args.preset!r}, '
              f'params_file={args.out!r})')
    else:
        print('pose_nms = ' + repr(dict(type='ParametricPoseNMS', preset=args.preset,
                                        **{k: round(v, 6) for k, v in best.items()})))
    return result


if __name__ == '__main__':
    main()

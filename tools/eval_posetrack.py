"""Score PoseTrack18 JSON predictions against ground truth (per-joint AP, MOTA, HOTA).

    python tools/eval_posetrack.py --gt GT_DIR --pred PRED_DIR [--mode poseval]
                                   [--metrics map mota hota]
                                   [--out result.json] [--dataset-info CONFIG]

``--metrics hota`` adds the keypoint HOTA of the PoseTrack21 benchmark (``--out`` JSON keys
``HOTA``, ``DetA``, ``AssA``, ``LocA`` next to ``mAP``, ``MOTA``, ...; tables per joint).

Both folders hold one PoseTrack18 JSON file per video; prediction files are matched to the
ground-truth files by file name (as the official ``poseval`` tool does). Prints the AP table
(Head / Shoulder / Elbow / Wrist / Hip / Knee / Ankle / Total) and the MOTA table, and writes
both (with per-joint values) as JSON with ``--out``.

``--mode poseval`` reproduces the official tool's numbers (including its known defects, see
docs/evaluation.md); it also reads the ground-truth files in ``glob`` order, as that tool does,
so that even the order of equally scored joints is the same. The default mode computes the
correct values. Keypoint names come from the ground-truth files' ``categories`` or from an
mmpose ``dataset_info`` config (``--dataset-info``); predictions whose ``categories`` list the
keypoints in another order are re-ordered by name.
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone too

from plugins.datasets.posetrack_json import VideoAnnotation, load_posetrack_video  # noqa
from plugins.evaluation import PoseTrackResult, evaluate_posetrack  # noqa: E402
from plugins.evaluation.functional import keypoint_names_from_metainfo  # noqa: E402


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='PoseTrack evaluation (AP and MOTA)')
    parser.add_argument('--gt', required=True, help='folder of ground-truth JSON files')
    parser.add_argument('--pred', required=True, help='folder of prediction JSON files')
    parser.add_argument('--mode', default='default', choices=['default', 'poseval'],
                        help='"poseval": reproduce the official tool, defects included')
    parser.add_argument('--out', help='write the tables and per-joint values to this JSON')
    parser.add_argument('--dataset-info', help='mmpose dataset_info config with the keypoint '
                        'names (default: the ground-truth files\' categories)')
    parser.add_argument('--head-size-fallback', choices=['head_segment'],
                        help='derive missing ground-truth head boxes from the head joints '
                        '(e.g. Bonn PoseTrack); default: missing head boxes are an error')
    parser.add_argument('--metrics', nargs='+', default=['map', 'mota'],
                        choices=['map', 'mota', 'hota'],
                        help='metrics to compute: per-joint AP (map), CLEAR MOT (mota), '
                        'keypoint HOTA of PoseTrack21 (hota); AP is always computed')
    parser.add_argument('--joints', nargs='+', help='keypoint names to score (default: the '
                        'PoseTrack joints found by name)')
    return parser.parse_args(argv)


def list_gt_files(gt_dir: str, mode: str) -> List[str]:
    """Ground-truth files: sorted, or in ``glob`` order for ``mode='poseval'``."""
    if not osp.isdir(gt_dir):
        raise FileNotFoundError(f'ground-truth folder not found: {gt_dir}')
    files = glob.glob(osp.join(gt_dir, '*.json'))
    if mode != 'poseval':
        files = sorted(files)
    if not files:
        raise FileNotFoundError(f'no .json files in the ground-truth folder {gt_dir}')
    return files


def match_prediction_files(gt_files: Sequence[str], pred_dir: str) -> List[str]:
    """The prediction file of each ground-truth file (same file name).

    Raises:
        FileNotFoundError: naming every ground-truth file without a prediction file.
    """
    if not osp.isdir(pred_dir):
        raise FileNotFoundError(f'prediction folder not found: {pred_dir}')
    preds = [osp.join(pred_dir, osp.basename(f)) for f in gt_files]
    missing = [osp.basename(p) for p in preds if not osp.isfile(p)]
    if missing:
        raise FileNotFoundError(f'{len(missing)} of {len(gt_files)} ground-truth videos have no '
                                f'prediction file in {pred_dir}: {", ".join(missing)}')
    return preds


def reorder_keypoints(video: VideoAnnotation, names: Sequence[str], source: str) -> None:
    """Re-order a video's keypoints (in place) to the layout ``names`` by keypoint name."""
    have = video.keypoint_names
    if list(have) == list(names):
        return
    missing = [n for n in names if n not in have]
    if missing:
        raise ValueError(f'{source}: keypoints {missing} of the ground-truth layout are not in '
                         f'the file\'s categories {have}')
    idx = [have.index(n) for n in names]
    for f in video.frames:
        n = f.num_persons
        f.keypoints = f.keypoints.reshape(n, -1, 2)[:, idx]
        f.keypoint_scores = f.keypoint_scores.reshape(n, -1)[:, idx]
    video.categories = [dict(video.categories[0], keypoints=list(names))]


def check_finite(video: VideoAnnotation, source: str) -> None:
    """Raise naming file, frame, person and field where keypoints or scores are NaN / inf
    (the evaluation would otherwise treat them silently as missing joints)."""
    for f in video.frames:
        if not f.num_persons:
            continue
        for name, arr in (('keypoints', f.keypoints), ('scores' if video.is_prediction else
                                                       'keypoints (visibility)',
                                                       f.keypoint_scores)):
            bad = ~np.isfinite(arr.reshape(f.num_persons, -1))
            if bad.any():
                j, k = (int(x) for x in np.argwhere(bad)[0])
                raise ValueError(f'{source}: frame {f.frame_index} ({f.file_name}), person {j} '
                                 f'(track_id {int(f.track_ids[j])}): field {name!r} holds '
                                 f'{arr.reshape(f.num_persons, -1)[j, k]} (value {k}); '
                                 'NaN / inf are not valid coordinates or scores')


def keypoint_names(gt_videos: Sequence[VideoAnnotation], dataset_info: Optional[str]) -> list:
    """Keypoint names from a dataset_info config, else from the first ground-truth file."""
    if dataset_info:
        from mmengine.config import Config
        cfg = Config.fromfile(dataset_info)
        info = cfg.get('dataset_info', cfg.get('metainfo'))
        if info is None:
            raise KeyError(f'{dataset_info}: no "dataset_info" dict in the config')
        return keypoint_names_from_metainfo(dict(info))
    return gt_videos[0].keypoint_names


def main(argv: Optional[Sequence[str]] = None) -> PoseTrackResult:
    args = parse_args(argv)
    gt_files = list_gt_files(args.gt, args.mode)
    pred_files = match_prediction_files(gt_files, args.pred)
    gts = [load_posetrack_video(f) for f in gt_files]
    for f, gt in zip(gt_files, gts):
        check_finite(gt, f)
    names = keypoint_names(gts, args.dataset_info)
    preds = []
    for gt_file, pred_file, gt in zip(gt_files, pred_files, gts):
        reorder_keypoints(gt, names, gt_file)
        pred = load_posetrack_video(pred_file)
        check_finite(pred, pred_file)
        reorder_keypoints(pred, names, pred_file)
        preds.append(pred)
    extra = sorted(set(os.listdir(args.pred)) - {osp.basename(f) for f in gt_files})
    extra = [e for e in extra if e.endswith('.json')]
    if extra:
        print(f'note: {len(extra)} prediction files without ground truth are ignored: '
              f'{", ".join(extra[:5])}{" ..." if len(extra) > 5 else ""}')
    result = evaluate_posetrack(gts, preds, metainfo=names, joint_names=args.joints,
                                mode=args.mode, head_size_fallback=args.head_size_fallback,
                                metrics=args.metrics)
    print(result.format_tables())
    if args.out:
        out = result.to_dict()
        out.update(gt_dir=osp.abspath(args.gt), pred_dir=osp.abspath(args.pred),
                   metrics=list(args.metrics))
        out.update({k: (None if v != v else v) for k, v in result.summary().items()})
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(out, f, indent=1)
        print(f'results written to {args.out}')
    return result


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError, KeyError) as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(1)

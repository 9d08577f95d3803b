"""Recovery precision of correspondence networks: propagate ground-truth poses to the next frame.

For every pair of consecutive labelled frames (t, t + gap) of a PoseTrack18 per-video folder
(default: the synthetic val videos of ``make data``), every ground-truth person of frame t with
at least ``--min-joints`` visible joints is propagated into frame t + gap with
:func:`plugins.models.correspondence.propagate_keypoints` (the path the tracker, the recovery
and track merging use), as if the detector had missed it there. The recovery step would accept
the propagated pose when at least ``--min-joints`` propagated joints score ``>= --min-score``
and re-estimate the pose in the tight box around them. An accepted propagation is correct when
that box overlaps the same person's tight ground-truth box in frame t + gap with IoU >=
``--iou`` (the estimator would be given the right person); otherwise (the person left, is hidden,
or the box is elsewhere) it is a false recovery. Reported per model:

* ``precision`` = correct / accepted, ``recall`` = correct / persons still visible in t + gap;
* ``err_px`` = median distance of the usable propagated joints to their ground truth (visible
  joints of the same person), ``pck10`` = share within 10 image pixels;
* ``ms`` = feature extraction + propagation per frame pair (indicative, shared CPU).

    python projects/kpt_correspondence/tools/eval_propagation.py \\
        --model CONFIG CHECKPOINT [--model CONFIG2 CHECKPOINT2 ...] [--videos 4] [--out x.json]
"""
import argparse
import json
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import plugins  # noqa: E402,F401
from plugins.datasets.posetrack_json import iter_video_files, load_posetrack_video  # noqa: E402
from plugins.models.correspondence import frame_features, propagate_keypoints  # noqa: E402
from plugins.models.correspondence.correspondence_net import (  # noqa: E402
    init_correspondence_model)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--model', nargs=2, action='append', metavar=('CONFIG', 'CHECKPOINT'),
                   required=True, help='a correspondence network (repeat to compare)')
    p.add_argument('--data-root', default='data/synthetic')
    p.add_argument('--ann-dir', default=None,
                   help='per-video PoseTrack18 JSON folder (default: DATA_ROOT/annotations/val)')
    p.add_argument('--videos', type=int, default=None, help='only the first N videos')
    p.add_argument('--gap', type=int, default=1, help='frames between source and target')
    p.add_argument('--min-joints', type=int, default=3)
    p.add_argument('--min-score', type=float, default=0.1)
    p.add_argument('--iou', type=float, default=0.5)
    p.add_argument('--window', type=int, default=0, help='reading window (map cells)')
    p.add_argument('--out', default=None, help='write the summary JSON here')
    return p.parse_args(argv)


def tight_box(pts: np.ndarray, mask: np.ndarray) -> Optional[np.ndarray]:
    """xyxy box around the masked points (None without points)."""
    if not mask.any():
        return None
    p = pts[mask]
    return np.concatenate([p.min(0), p.max(0)])


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two xyxy boxes (degenerate boxes padded by one pixel)."""
    a = np.concatenate([a[:2] - 0.5, a[2:] + 0.5])
    b = np.concatenate([b[:2] - 0.5, b[2:] + 0.5])
    lo, hi = np.maximum(a[:2], b[:2]), np.minimum(a[2:], b[2:])
    inter = float(np.prod(np.clip(hi - lo, 0, None)))
    union = float(np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2])) - inter
    return inter / union if union > 0 else 0.0


def evaluate(net, videos, root: Path, args) -> Dict[str, float]:
    counts = dict(accepted=0, correct=0, present=0, sources=0)
    errors: List[np.ndarray] = []
    seconds, pairs = 0.0, 0
    for video in videos:
        labeled = [i for i, f in enumerate(video.frames) if f.is_labeled]
        images = {}
        for i in labeled:
            img = cv2.imread(str(root / video.frames[i].file_name))
            if img is None:
                raise FileNotFoundError(f'cannot read frame {root / video.frames[i].file_name}')
            images[i] = img
        feats = {}
        for t in labeled:
            u = t + args.gap
            if u not in images:
                continue
            src, dst = video.frames[t], video.frames[u]
            vis = src.keypoint_scores > 0
            keep = vis.sum(1) >= args.min_joints
            if not keep.any():
                continue
            t0 = time.perf_counter()
            for i in (t, u):
                if i not in feats:
                    feats[i] = frame_features(net, [images[i]])[0]
            prop = propagate_keypoints(net, feats[t], feats[u], src.keypoints[keep], vis[keep],
                                       window=args.window)
            seconds += time.perf_counter() - t0
            pairs += 1
            dst_ids = {int(tid): j for j, tid in enumerate(dst.track_ids)}
            for n, tid in enumerate(src.track_ids[keep]):
                counts['sources'] += 1
                usable = prop.scores[n] >= args.min_score
                j = dst_ids.get(int(tid))
                target = None
                if j is not None:
                    target = tight_box(dst.keypoints[j], dst.keypoint_scores[j] > 0)
                    if target is not None:
                        counts['present'] += 1
                        both = usable & (dst.keypoint_scores[j] > 0)
                        errors.append(np.linalg.norm(prop.keypoints[n][both] -
                                                     dst.keypoints[j][both], axis=-1))
                if usable.sum() < args.min_joints:
                    continue
                counts['accepted'] += 1
                box = tight_box(prop.keypoints[n], usable)
                if target is not None and iou(box, target) >= args.iou:
                    counts['correct'] += 1
            for old in [i for i in feats if i < t]:
                del feats[old]
    err = np.concatenate(errors) if errors else np.zeros(0)
    return dict(precision=counts['correct'] / max(counts['accepted'], 1),
                recall=counts['correct'] / max(counts['present'], 1),
                err_px=float(np.median(err)) if len(err) else float('nan'),
                pck10=float((err <= 10).mean()) if len(err) else float('nan'),
                ms=1000 * seconds / max(pairs, 1), **counts)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    root = Path(args.data_root)
    ann_dir = Path(args.ann_dir) if args.ann_dir else root / 'annotations' / 'val'
    files = sorted(iter_video_files(ann_dir))[:args.videos]
    if not files:
        raise FileNotFoundError(f'no PoseTrack18 video files in {ann_dir} (run `make data`)')
    videos = [load_posetrack_video(f) for f in files]
    summary = {}
    print(f'{len(videos)} videos, gap {args.gap}, min joints {args.min_joints}, min score '
          f'{args.min_score}, IoU {args.iou}')
    print(f'{"model":60s} {"prec":>6s} {"recall":>6s} {"err px":>7s} {"PCK10":>6s} {"ms":>6s}')
    for cfg, ckpt in args.model:
        net = init_correspondence_model(cfg, None if ckpt == 'none' else ckpt)
        res = evaluate(net, videos, root, args)
        summary[cfg] = res
        print(f'{Path(cfg).stem[-60:]:60s} {res["precision"]:6.3f} {res["recall"]:6.3f} '
              f'{res["err_px"]:7.2f} {res["pck10"]:6.3f} {res["ms"]:6.0f}')
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(dict(args=vars(args), results=summary), indent=1))
    return summary


if __name__ == '__main__':
    main()

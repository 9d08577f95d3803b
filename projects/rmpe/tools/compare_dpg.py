"""Compare DPG modes by how closely their boxes follow held-out detector boxes.

    python projects/rmpe/tools/compare_dpg.py data/synthetic/annotations/val.json \
        data/synthetic/rmpe/val_simulated_detections.json \
        --gmm data/synthetic/rmpe/dpg_atomic_pose_gmm_train.json \
        --net data/synthetic/rmpe/dpg_proposal_network_train.pth

The detections of the held-out split are matched to its ground-truth boxes (Hungarian on IoU,
as ``fit_dpg.py``); their normalised offsets ``(det - gt) / (w, h, w, h)`` are the reference.
Each DPG mode samples ``--draws`` boxes per matched ground-truth person (with its pose); the
table gives, per mode, the mean and standard deviation of each offset coordinate, the mean over
the 4 coordinates of the 1-D Wasserstein distance to the reference offsets (scipy), and the
mean IoU of the boxes with the ground truth. ``gt box`` is no augmentation.
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))))

from plugins.datasets.transforms.dpg_fitting import normalized_box_offsets  # noqa: E402
from plugins.datasets.transforms.dpg_transform import DeepProposalsGenerator  # noqa: E402
from plugins.utils.keypoint_similarity import pairwise_box_iou  # noqa: E402


def _load_tool(relative: str):
    import importlib.util
    root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    path = osp.join(root, relative)
    spec = importlib.util.spec_from_file_location(osp.splitext(osp.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compare(ann: dict, detections: dict, modes: dict, draws: int, seed: int) -> dict:
    """``{mode: dict(mean (4,), std (4,), wasserstein, iou)}`` plus ``'detector'``."""
    from scipy.stats import wasserstein_distance
    collect = _load_tool('tools/analysis/fit_dpg.py').collect
    kpts, vis, boxes, matched, offsets, _ = collect(ann, detections, 0.5)
    gt, kp, vs = boxes[matched], kpts[matched], vis[matched]

    def iou(a, b):
        return float(np.mean([pairwise_box_iou(a[i:i + 1], b[i:i + 1])[0, 0]
                              for i in range(len(a))]))

    det_boxes = gt + offsets * np.concatenate([gt[:, 2:] - gt[:, :2]] * 2, 1)
    out = {'detector (held out)': dict(mean=offsets.mean(0), std=offsets.std(0),
                                       wasserstein=0.0, iou=iou(det_boxes, gt),
                                       n=len(offsets))}
    rng_gt = np.tile(gt, (draws, 1))
    for name, dpg in modes.items():
        if dpg is None:
            sampled = rng_gt
        else:
            dpg.rng = np.random.default_rng(seed)
            sampled = dpg.sample_boxes(rng_gt, np.tile(kp, (draws, 1, 1)), np.tile(vs, (draws, 1)))
        off = normalized_box_offsets(rng_gt, sampled)
        w = np.mean([wasserstein_distance(off[:, c], offsets[:, c]) for c in range(4)])
        out[name] = dict(mean=off.mean(0), std=off.std(0), wasserstein=float(w),
                         iou=iou(sampled, rng_gt), n=len(off))
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann', help='COCO-style keypoint annotations of the held-out split')
    parser.add_argument('detections', help='COCO detection results on that split')
    parser.add_argument('--gmm', help="DPG file of mode 'atomic_pose_gmm'")
    parser.add_argument('--net', help="DPG file of mode 'proposal_network'")
    parser.add_argument('--draws', type=int, default=4, help='boxes per person and mode')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    with open(args.ann) as f:
        ann = json.load(f)
    load = _load_tool('tools/analysis/fit_dpg.py').load_detection_file
    detections = load(args.detections, 1, 0.0)
    modes = {'gt box': None,
             'alphapose': DeepProposalsGenerator(mode='alphapose', clip_to_image=False)}
    if args.gmm:
        modes['atomic_pose_gmm'] = DeepProposalsGenerator(mode='atomic_pose_gmm',
                                                          dpg_file=args.gmm)
    if args.net:
        modes['proposal_network'] = DeepProposalsGenerator(mode='proposal_network',
                                                           dpg_file=args.net)
    res = compare(ann, detections, modes, args.draws, args.seed)
    print('| mode | offsets x1 y1 x2 y2: mean | std | W1 to detector | IoU with GT |')
    print('|---|---|---|---|---|')
    for name, r in res.items():
        print(f'| {name} | {" ".join(f"{v:+.3f}" for v in r["mean"])} | '
              f'{" ".join(f"{v:.3f}" for v in r["std"])} | {r["wasserstein"]:.4f} | '
              f'{r["iou"]:.3f} |')
    return res


if __name__ == '__main__':
    main()

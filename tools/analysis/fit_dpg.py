"""Fit RMPE's Deep Proposals Generator (DPG) on a training set.

    python tools/analysis/fit_dpg.py ANN.json --detections DET.json --out dpg.json
    python tools/analysis/fit_dpg.py ANN.json --det-config CFG --det-checkpoint CKPT \\
        --img-root data/coco/train2017/ --out dpg.json
    python tools/analysis/fit_dpg.py ANN.json --detections DET.json --mode proposal_network \\
        --out dpg_net.pth

``ANN.json`` holds COCO-style keypoint annotations (COCO, PoseTrack18 merged, synthetic).
Detections come from a COCO results file (``[{image_id, bbox: xywh, score, category_id}]``) or
from running an mmdet detector over the images. Each image's detections are matched to its
ground-truth boxes (Hungarian on IoU), the offsets of matched pairs are normalised by the
ground-truth box size, the ground-truth poses are aligned on their torso and clustered into
atomic poses (k-means), and a Gaussian mixture of the offsets is fitted per atomic pose
(:mod:`plugins.datasets.transforms.dpg_fitting`; ``--mode atomic_pose_gmm``, the default).
Use the file with ``dict(type='DeepProposalsGenerator', mode='atomic_pose_gmm',
dpg_file='dpg.json')``.

``--mode proposal_network`` instead trains the proposal scorer
(:mod:`plugins.datasets.transforms.dpg_network`): the matched detector boxes are the positives,
random boxes around the ground truth the negatives; use the ``.pth`` with
``dict(type='DeepProposalsGenerator', mode='proposal_network', dpg_file='dpg_net.pth')``.
"""
import argparse
import json
import os
import os.path as osp
import sys
from collections import defaultdict
from typing import Dict, List

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from plugins.datasets.transforms.dpg_fitting import (fit_dpg_model,  # noqa: E402
                                                     match_detections, normalized_box_offsets)
from plugins.datasets.transforms.dpg_network import train_proposal_scorer  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Fit the RMPE Deep Proposals Generator')
    parser.add_argument('ann', help='COCO-style keypoint annotation file')
    parser.add_argument('--out', required=True,
                        help='output DPG model (JSON; .pth for --mode proposal_network)')
    parser.add_argument('--mode', default='atomic_pose_gmm',
                        choices=('atomic_pose_gmm', 'proposal_network'),
                        help='k-means atomic poses + offset mixtures, or the proposal scorer')
    det = parser.add_mutually_exclusive_group(required=True)
    det.add_argument('--detections', help='COCO results file with person detections')
    det.add_argument('--det-config', help='mmdet config to run over the images')
    parser.add_argument('--det-checkpoint', help='checkpoint of --det-config')
    parser.add_argument('--img-root', default='', help='folder the file_names are relative to')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--det-score-thr', type=float, default=0.3,
                        help='detections scored below it are ignored')
    parser.add_argument('--det-category-id', type=int, default=1,
                        help='category id of persons in --detections')
    parser.add_argument('--iou-thr', type=float, default=0.5, help='matching IoU threshold')
    parser.add_argument('--metainfo', default='configs/_base_/datasets/coco.py',
                        help='mmpose dataset_info file giving the joint names')
    parser.add_argument('--torso-upper', nargs='+', default=['left_shoulder', 'right_shoulder'])
    parser.add_argument('--torso-lower', nargs='+', default=['left_hip', 'right_hip'])
    parser.add_argument('--num-atomic-poses', type=int, default=8)
    parser.add_argument('--num-components', type=int, default=3)
    parser.add_argument('--min-samples-per-component', type=int, default=10)
    parser.add_argument('--seed', type=int, default=0)
    net = parser.add_argument_group('proposal_network')
    net.add_argument('--epochs', type=int, default=10)
    net.add_argument('--num-negatives', type=int, default=4, help='random boxes per positive')
    net.add_argument('--proposal-std', type=float, default=0.15,
                     help='edge jitter (box sizes) of the random boxes')
    net.add_argument('--lr', type=float, default=3e-3)
    net.add_argument('--batch-size', type=int, default=256)
    return parser.parse_args(argv)


def joint_ids(metainfo_file: str, names: List[str]) -> List[int]:
    """Indices of joint ``names`` in an mmpose dataset_info file."""
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    meta = parse_pose_metainfo(dict(from_file=metainfo_file))
    missing = [n for n in names if n not in meta['keypoint_name2id']]
    if missing:
        raise ValueError(f'{metainfo_file}: no joints named {missing}; it has '
                         f'{sorted(meta["keypoint_name2id"])}')
    return [int(meta['keypoint_name2id'][n]) for n in names]


def load_detection_file(path: str, category_id: int, score_thr: float) -> Dict[int, np.ndarray]:
    """Person boxes per image id from a COCO results file, ``{image_id: (D, 4) xyxy}``."""
    with open(path) as f:
        dets = json.load(f)
    if not isinstance(dets, list):
        raise ValueError(f'{path}: expected a list of COCO detection results')
    boxes = defaultdict(list)
    for i, d in enumerate(dets):
        if 'bbox' not in d or 'image_id' not in d:
            raise ValueError(f'{path}: detection {i} lacks "bbox" or "image_id"')
        if d.get('category_id', category_id) != category_id or d.get('score', 1.0) < score_thr:
            continue
        x, y, w, h = d['bbox']
        boxes[d['image_id']].append([x, y, x + w, y + h])
    return {k: np.asarray(v, np.float64).reshape(-1, 4) for k, v in boxes.items()}


def run_detector(images: List[dict], config: str, checkpoint: str, img_root: str, device: str,
                 score_thr: float) -> Dict[int, np.ndarray]:
    """Person boxes per image id from an mmdet detector."""
    from mmdet.apis import inference_detector, init_detector
    model = init_detector(config, checkpoint, device=device)
    classes = [c.lower() for c in model.dataset_meta.get('classes', ())]
    if 'person' not in classes:
        raise ValueError(f'{config}: the detector has no "person" class ({classes[:5]}...)')
    person = classes.index('person')
    out = {}
    for img in images:
        pred = inference_detector(model, osp.join(img_root, img['file_name'])).pred_instances
        keep = (pred.labels == person) & (pred.scores >= score_thr)
        out[img['id']] = pred.bboxes[keep].cpu().numpy().astype(np.float64)
    return out


def collect(ann: dict, detections: Dict[int, np.ndarray], iou_thr: float):
    """Ground-truth poses and the normalised offsets of their matched detections."""
    per_image = defaultdict(list)
    for a in ann['annotations']:
        if a.get('iscrowd', 0) or a.get('num_keypoints', 1) == 0 or 'keypoints' not in a:
            continue
        per_image[a['image_id']].append(a)
    kpts, vis, boxes, matched, offsets, det_boxes = [], [], [], [], [], []
    for img_id, anns in per_image.items():
        gt = np.asarray([a['bbox'] for a in anns], np.float64).reshape(-1, 4)
        gt[:, 2:] += gt[:, :2]
        det = detections.get(img_id, np.zeros((0, 4)))
        gi, di = match_detections(gt, det, iou_thr)
        base = len(kpts)
        for a, box in zip(anns, gt):
            k = np.asarray(a['keypoints'], np.float64).reshape(-1, 3)
            kpts.append(k[:, :2])
            vis.append(k[:, 2] > 0)
            boxes.append(box)
        matched.extend((base + gi).tolist())
        offsets.append(normalized_box_offsets(gt[gi], det[di]))
        det_boxes.append(det[di])
    if not kpts:
        raise ValueError('no annotated person with keypoints in the annotation file')
    return (np.stack(kpts), np.stack(vis), np.stack(boxes), np.asarray(matched, np.int64),
            np.concatenate(offsets) if offsets else np.zeros((0, 4)),
            np.concatenate(det_boxes) if det_boxes else np.zeros((0, 4)))


def main(argv=None) -> None:
    args = parse_args(argv)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)  # e.g. data/coco/dpg/ of the README protocol
    with open(args.ann) as f:
        ann = json.load(f)
    for key in ('images', 'annotations'):
        if key not in ann:
            raise ValueError(f'{args.ann}: not a COCO annotation file (no "{key}")')
    if args.detections:
        detections = load_detection_file(args.detections, args.det_category_id,
                                         args.det_score_thr)
        source = dict(detections=args.detections)
    else:
        if not args.det_checkpoint:
            raise ValueError('--det-config needs --det-checkpoint')
        detections = run_detector(ann['images'], args.det_config, args.det_checkpoint,
                                  args.img_root, args.device, args.det_score_thr)
        source = dict(det_config=args.det_config, det_checkpoint=args.det_checkpoint)
    kpts, vis, boxes, matched, offsets, det_boxes = collect(ann, detections, args.iou_thr)
    meta = dict(ann=args.ann, iou_thr=args.iou_thr, **source)
    if args.mode == 'proposal_network':
        net = train_proposal_scorer(
            kpts, vis, boxes, matched, det_boxes, num_negatives=args.num_negatives,
            proposal_std=args.proposal_std, epochs=args.epochs, batch_size=args.batch_size,
            lr=args.lr, seed=args.seed, meta=meta)
        net.save(args.out)
        print(f'{len(kpts)} poses, {len(matched)} matched detections (positives), '
              f'{args.num_negatives} random boxes each (negatives): final loss '
              f'{net.meta["final_loss"]:.4f}, training accuracy '
              f'{net.meta["final_train_accuracy"]:.3f} -> {args.out}')
        return
    model = fit_dpg_model(
        kpts, vis, boxes, matched, offsets,
        torso_upper=joint_ids(args.metainfo, args.torso_upper),
        torso_lower=joint_ids(args.metainfo, args.torso_lower),
        num_atomic_poses=args.num_atomic_poses, num_components=args.num_components,
        min_samples_per_component=args.min_samples_per_component, seed=args.seed,
        meta=meta)
    model.save(args.out)
    print(f'{len(kpts)} poses, {len(offsets)} matched detections, '
          f'{len(model.atomic_poses)} atomic poses (offsets per atomic pose: '
          f'{model.num_samples}) -> {args.out}')


if __name__ == '__main__':
    main()

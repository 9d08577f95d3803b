"""Simulate a person detector's boxes from ground truth (for data without a trained detector).

    python projects/rmpe/tools/simulate_detections.py data/synthetic/annotations/val.json \
        data/synthetic/rmpe/val_simulated_detections.json [--duplicates 2] [--seed 0]

For every annotated person: one main box (the ground-truth box perturbed by the AlphaPose DPG
preset, score 0.8-1.0) and a Poisson number of extra boxes around it (perturbed again, lower
scores) — the duplicates a real detector fires and a pose NMS must remove; plus a few false
positives per image (random boxes, low scores). Written as a COCO detection results file
(``bbox`` ``xywh``, ``score``, ``category_id`` 1), usable as mmpose's ``bbox_file``.
"""
import argparse
import json
import os
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))))

from plugins.datasets.transforms.dpg_transform import DeepProposalsGenerator  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann', help='COCO-style annotation file')
    parser.add_argument('out', help='output COCO detection results (JSON)')
    parser.add_argument('--duplicates', type=float, default=2.0,
                        help='mean number of extra boxes per person (Poisson)')
    parser.add_argument('--false-positives', type=float, default=0.5,
                        help='mean number of false positive boxes per image (Poisson)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def simulate(ann: dict, duplicates: float, false_positives: float, seed: int) -> list:
    rng = np.random.default_rng(seed)
    dpg = DeepProposalsGenerator(clip_to_image=True, seed=seed)
    images = {img['id']: img for img in ann['images']}
    dets = []

    def add(img_id, boxes, scores):
        for b, s in zip(boxes, scores):
            dets.append(dict(image_id=img_id, category_id=1, score=float(s),
                             bbox=[float(b[0]), float(b[1]), float(b[2] - b[0]),
                                   float(b[3] - b[1])]))

    for a in ann['annotations']:
        if a.get('iscrowd', 0) or a.get('num_keypoints', 1) == 0:
            continue
        img = images[a['image_id']]
        shape = (img['height'], img['width'])
        x, y, w, h = a['bbox']
        gt = np.array([[x, y, x + w, y + h]], np.float64)
        main = dpg.transform(dict(bbox=gt.copy(), img_shape=shape))['bbox']
        add(a['image_id'], main, rng.uniform(0.8, 1.0, 1))
        n_dup = rng.poisson(duplicates)
        if n_dup:
            dup = dpg.transform(dict(bbox=np.repeat(main, n_dup, 0), img_shape=shape))['bbox']
            add(a['image_id'], dup, rng.uniform(0.3, 0.9, n_dup))
    for img_id, img in images.items():
        n_fp = rng.poisson(false_positives)
        if n_fp:
            wh = rng.uniform(0.1, 0.4, (n_fp, 2)) * [img['width'], img['height']]
            xy = rng.uniform(0, 1, (n_fp, 2)) * ([img['width'], img['height']] - wh)
            add(img_id, np.concatenate([xy, xy + wh], 1), rng.uniform(0.05, 0.5, n_fp))
    return dets


def main(argv=None) -> None:
    args = parse_args(argv)
    with open(args.ann) as f:
        ann = json.load(f)
    dets = simulate(ann, args.duplicates, args.false_positives, args.seed)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(dets, f)
    print(f'{len(dets)} boxes for {len(ann["images"])} images -> {args.out}')


if __name__ == '__main__':
    main()

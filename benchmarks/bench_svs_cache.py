"""SVS target cost: instances/s of ``SVSCodec.encode`` without cache, filling the cache (the
first epoch) and from the cache (later epochs), at the synthetic and the paper resolutions.

    .venv/bin/python benchmarks/bench_svs_cache.py [--num 100]
        [--ann data/synthetic/annotations/train.json]

Poses come from the synthetic training annotations when present (else from a jittered
template). Each pose is encoded as a top-down crop would see it: keypoints mapped into the
input box of the person. The cached pass encodes *augmented* crops (random rotation, scale,
shift: a different crop than the one that filled the cache) to show that hits survive
augmentation. Printed ratios are against the uncached run of the same process.
"""
import argparse
import json
import os.path as osp
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import plugins  # noqa: E402,F401
from mmpose.registry import KEYPOINT_CODECS  # noqa: E402

TEMPLATE = np.array([[.5, .1], [.5, .17], [.5, 0], [.58, .08], [.42, .08], [.75, .22],
                     [.25, .22], [.85, .4], [.15, .4], [.9, .55], [.1, .55], [.65, .55],
                     [.35, .55], [.65, .78], [.35, .78], [.65, 1], [.35, 1]])


def load_poses(ann: str, num: int, rng: np.random.Generator):
    """(num, 17, 2) poses normalised to their box and (num, 17) visibility."""
    if osp.isfile(ann):
        anns = [a for a in json.load(open(ann))['annotations'] if a['num_keypoints'] >= 4]
        pick = rng.choice(len(anns), size=min(num, len(anns)), replace=False)
        kpts, vis = [], []
        for i in pick:
            k = np.asarray(anns[i]['keypoints'], np.float64).reshape(-1, 3)
            x, y, w, h = anns[i]['bbox']
            kpts.append((k[:, :2] - [x, y]) / max(w, h))
            vis.append(k[:, 2] > 0)
        return np.stack(kpts), np.stack(vis), f'{len(pick)} poses from {ann}'
    kpts = TEMPLATE[None] + rng.normal(0, 0.03, (num, 17, 2))
    return kpts, np.ones((num, 17), bool), f'{num} jittered template poses'


def to_crop(kpts: np.ndarray, input_size, rng=None) -> np.ndarray:
    """Map box-normalised poses into the crop (optionally with a random similarity)."""
    w, h = input_size
    out = kpts * (0.8 * min(w, h)) + [0.1 * w, 0.1 * h]
    if rng is not None:
        a, s = rng.uniform(-0.5, 0.5), rng.uniform(0.8, 1.2)
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) * s
        c = np.array([w, h]) / 2
        out = (out - c) @ rot.T + c + rng.uniform(-5, 5, 2)
    return out


def rate(codec, crops, vis) -> float:
    t0 = time.perf_counter()
    for k, v in zip(crops, vis):
        codec.encode(k[None], v[None].astype(np.float32))
    return len(crops) / (time.perf_counter() - t0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num', type=int, default=100)
    parser.add_argument('--ann', default='data/synthetic/annotations/train.json')
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    kpts, vis, source = load_poses(args.ann, args.num, rng)
    print(f'SVS targets (7 parts x C in {{3, 6, 12, 24}} = 28 channels), {source}')
    for input_size, heatmap_size in [((96, 128), (24, 32)), ((256, 256), (64, 64))]:
        cfg = dict(type='SVSCodec', input_size=input_size, heatmap_size=heatmap_size,
                   metainfo=dict(from_file='configs/_base_/datasets/posetrack18.py'))
        crops = np.stack([to_crop(k, input_size) for k in kpts])
        augmented = np.stack([to_crop(k, input_size, rng) for k in kpts])
        no_cache = rate(KEYPOINT_CODECS.build(cfg), crops, vis)
        with tempfile.TemporaryDirectory() as tmp:
            cold_codec = KEYPOINT_CODECS.build(dict(cfg, cache_dir=tmp))
            cold = rate(cold_codec, crops, vis)
            warm_codec = KEYPOINT_CODECS.build(dict(cfg, cache_dir=tmp))
            warm = rate(warm_codec, augmented, vis)
            hits = warm_codec.cache.hits
        print(f'input {input_size[0]}x{input_size[1]} -> grid {heatmap_size[0]}x'
              f'{heatmap_size[1]}: no cache {no_cache:7.1f} inst/s | first epoch (fit + '
              f'write) {cold:7.1f} inst/s ({cold / no_cache:4.2f}x) | cached, augmented crops '
              f'{warm:7.1f} inst/s ({warm / no_cache:5.1f}x, {hits}/{len(crops)} hits)')


if __name__ == '__main__':
    main()

"""Time the batched affinity computation of the Siamese matcher against a loop over keypoints.

The baseline correlates one keypoint's descriptor at a time with the target features
(``F.conv2d`` per keypoint, the straightforward implementation); ours is one grouped
convolution for all keypoints of all images (:meth:`SiameseMatcher.affinity_logits`). Both run
in this process on the same features; the outputs are checked equal before timing.

    python benchmarks/bench_correspondence_affinity.py [--channels 576] [--size 24 24]
        [--persons 1 5 10] [--repeats 5]
"""
import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import plugins  # noqa: E402,F401
from plugins.registry import MODELS  # noqa: E402


def loop_affinity(matcher, feats_src, feats_dst, cells):
    """One convolution per keypoint (the reference implementation)."""
    p = matcher.patch_size
    b, q = cells.shape[:2]
    out = feats_dst.new_zeros((b, q, *feats_dst.shape[-2:]))
    padded = F.pad(feats_src, (p // 2, ) * 4)
    for i in range(b):
        for j in range(q):
            x, y = cells[i, j].tolist()
            desc = padded[i:i + 1, :, y:y + p, x:x + p]
            out[i, j] = F.conv2d(feats_dst[i:i + 1], desc, padding=p // 2)[0, 0] / (p * p)
    return out


def best_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--channels', type=int, default=576, help='feature channels (BN-Inception '
                    'layer 17: 576)')
    ap.add_argument('--size', type=int, nargs=2, default=(24, 24), help='map (w, h): 384x384 '
                    'input at stride 16')
    ap.add_argument('--keypoints', type=int, default=17)
    ap.add_argument('--persons', type=int, nargs='+', default=(1, 5, 10))
    ap.add_argument('--batch', type=int, default=2)
    ap.add_argument('--repeats', type=int, default=5)
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    torch.set_grad_enabled(False)
    matcher = MODELS.build(dict(type='SiameseMatcher', patch_size=3,
                                backbone=dict(type='BNInception', last_layer=1,
                                              widen_factor=0.1))).eval()
    w, h = args.size
    feats_src = F.normalize(torch.randn(args.batch, args.channels, h, w), dim=1)
    feats_dst = F.normalize(torch.randn(args.batch, args.channels, h, w), dim=1)
    print(f'features {args.batch}x{args.channels}x{h}x{w}, patch 3x3, {args.keypoints} '
          f'keypoints per person, torch threads {torch.get_num_threads()}')
    print(f'{"persons":>8s} {"queries":>8s} {"loop ms":>9s} {"batched ms":>11s} {"speed-up":>9s}')
    for n in args.persons:
        q = n * args.keypoints
        cells = torch.stack([torch.randint(0, w, (args.batch, q)),
                             torch.randint(0, h, (args.batch, q))], dim=-1)
        ours = matcher.affinity_logits(feats_src, feats_dst, cells.float())
        ref = loop_affinity(matcher, feats_src, feats_dst, cells)
        if not torch.allclose(ours, ref, atol=1e-5):
            raise AssertionError(f'batched and loop affinities differ by '
                                 f'{(ours - ref).abs().max():.2e}')
        t_loop = best_time(lambda: loop_affinity(matcher, feats_src, feats_dst, cells),
                           args.repeats)
        t_ours = best_time(lambda: matcher.affinity_logits(feats_src, feats_dst, cells.float()),
                           args.repeats)
        print(f'{n:8d} {args.batch * q:8d} {1000 * t_loop:9.2f} {1000 * t_ours:11.2f} '
              f'{t_loop / t_ours:8.1f}x')


if __name__ == '__main__':
    main()

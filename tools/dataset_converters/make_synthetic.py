"""Generate the embedded synthetic multi-person pose-tracking dataset.

    python tools/dataset_converters/make_synthetic.py --out data/synthetic
        [--videos 10] [--val-videos 4] [--frames 40] [--seed 0] [--width 384] [--height 288]
        [--min-persons 2] [--max-persons 5] [--crowd-prob 0.3] [--blur-prob 0.3] [--fps 10]
        [--workers 2]

Writes ``images/{train,val}/{video}/{frame:06d}.jpg``, PoseTrack18 per-video files
``annotations/{train,val}/{video}.json`` and merged ``annotations/{train,val}.json`` (COCO
style, loadable by mmpose ``PoseTrack18Dataset``/``CocoDataset`` and mmdet ``CocoDataset``).
The output is a deterministic function of the arguments (``--workers`` does not change it).
"""
import argparse
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from light_import import import_without_registration  # noqa: E402

# the generator needs numpy/OpenCV/scipy only: skip importing (registering) the whole project
SyntheticVideoConfig = import_without_registration(
    'plugins.datasets.synthetic.video').SyntheticVideoConfig
write_split = import_without_registration('plugins.datasets.synthetic.writer').write_split


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description='Render synthetic pose-tracking videos')
    p.add_argument('--out', default='data/synthetic', help='output dataset root')
    p.add_argument('--videos', type=int, default=10, help='training videos')
    p.add_argument('--val-videos', type=int, default=4, help='validation videos')
    p.add_argument('--frames', type=int, default=40, help='frames per video')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--width', type=int, default=384)
    p.add_argument('--height', type=int, default=288)
    p.add_argument('--fps', type=float, default=10.0,
                   help='frame rate of the simulated motion (sets motion between frames)')
    p.add_argument('--min-persons', type=int, default=2)
    p.add_argument('--max-persons', type=int, default=5)
    p.add_argument('--crowd-prob', type=float, default=0.3,
                   help='probability of a far crowd with an ignore region per video')
    p.add_argument('--blur-prob', type=float, default=0.3,
                   help='probability of motion blur per video')
    p.add_argument('--workers', type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument('--jpeg-quality', type=int, default=90)
    args = p.parse_args(argv)
    if args.min_persons < 1 or args.max_persons < args.min_persons:
        p.error('need 1 <= --min-persons <= --max-persons')
    if args.frames < 1 or args.width < 32 or args.height < 32:
        p.error('need --frames >= 1 and frames of at least 32x32 pixels')
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = SyntheticVideoConfig(width=args.width, height=args.height, num_frames=args.frames,
                               fps=args.fps, min_persons=args.min_persons,
                               max_persons=args.max_persons, crowd_prob=args.crowd_prob,
                               blur_prob=args.blur_prob)
    t0 = time.perf_counter()
    for split, n in (('train', args.videos), ('val', args.val_videos)):
        t = time.perf_counter()
        counts = write_split(args.out, split, n, cfg, args.seed, args.workers,
                             jpeg_quality=args.jpeg_quality)
        print(f'[make_synthetic] {split}: {counts["videos"]} videos, {counts["frames"]} frames, '
              f'{counts["persons"]} person-frames in {time.perf_counter() - t:.1f} s')
    print(f'[make_synthetic] wrote {args.out} in {time.perf_counter() - t0:.1f} s')


if __name__ == '__main__':
    main()

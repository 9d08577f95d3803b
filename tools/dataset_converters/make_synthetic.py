"""Generate the embedded synthetic multi-person pose-tracking dataset.

    python tools/dataset_converters/make_synthetic.py --out data/synthetic
        [--videos 10] [--val-videos 4] [--frames 40] [--seed 0] [--width 384] [--height 288]
        [--min-persons 2] [--max-persons 5] [--crowd-prob 0.3] [--blur-prob 0.3] [--fps 10]
        [--workers 2] [--layout synthetic|coco|posetrack18|mpii] [--val-label-every 1]

``--layout synthetic`` (default) writes the project's layout:
``images/{train,val}/{video}/{frame:06d}.jpg``, PoseTrack18 per-video files
``annotations/{train,val}/{video}.json`` and merged ``annotations/{train,val}.json`` (COCO
style, loadable by mmpose ``PoseTrack18Dataset``/``CocoDataset`` and mmdet ``CocoDataset``).

``--layout coco|posetrack18|mpii`` writes the same kind of people in the folder layout of the
public dataset (``data/coco``, ``data/posetrack18``, ``data/mpii`` of the paper configs; see
``plugins/datasets/synthetic/layouts.py``), with simulated person-detection files, so a paper
config runs on them with only its data root changed, e.g.::

    python tools/dataset_converters/make_synthetic.py --layout coco --out /tmp/coco \
        --videos 2 --val-videos 1 --frames 2
    python tools/train.py projects/rmpe/configs/rmpe_hg2_no-sstn_coco-320x256.py \
        --cfg-options train_dataloader.dataset.data_root=/tmp/coco/ ...

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
layouts = import_without_registration('plugins.datasets.synthetic.layouts')


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description='Render synthetic pose-tracking videos')
    p.add_argument('--out', default='data/synthetic', help='output dataset root')
    p.add_argument('--videos', type=int, default=10, help='training videos')
    p.add_argument('--val-videos', type=int, default=4, help='validation videos')
    p.add_argument('--frames', type=int, default=40, help='frames per video')
    p.add_argument('--val-frames', type=int, default=None,
                   help='frames per validation video (default: --frames)')
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
    p.add_argument('--layout', default='synthetic', choices=layouts.LAYOUTS,
                   help='folder layout: the project\'s own, or that of a public dataset')
    p.add_argument('--val-label-every', type=int, default=1,
                   help='posetrack18 layout: label every N-th validation frame (PoseTrack18 '
                   'labels a subset of its validation frames)')
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
    if args.layout == 'synthetic':
        for split, n in (('train', args.videos), ('val', args.val_videos)):
            t = time.perf_counter()
            counts = layouts.write_split(args.out, split, n,
                                         layouts._split_cfg(cfg, split, args.val_frames),
                                         args.seed, args.workers,
                                         jpeg_quality=args.jpeg_quality)
            print(f'[make_synthetic] {split}: {counts["videos"]} videos, {counts["frames"]} '
                  f'frames, {counts["persons"]} person-frames in {time.perf_counter() - t:.1f} s')
    else:
        counts = layouts.write_layout(args.layout, args.out, args.videos, args.val_videos, cfg,
                                      args.seed, args.workers, args.jpeg_quality,
                                      val_label_every=args.val_label_every,
                                      val_num_frames=args.val_frames)
        print(f'[make_synthetic] {args.layout} layout: ' +
              ', '.join(f'{k} {v}' for k, v in counts.items()))
    print(f'[make_synthetic] wrote {args.out} in {time.perf_counter() - t0:.1f} s')


if __name__ == '__main__':
    main()

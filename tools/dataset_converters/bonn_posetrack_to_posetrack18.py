"""Convert Bonn Multi-Person PoseTrack ``annolist.mat`` into PoseTrack18-style per-video JSON.

    python tools/dataset_converters/bonn_posetrack_to_posetrack18.py \
        ../shared/data/bonn_posetrack/train/annolist.mat data/bonn_posetrack/annotations/train \
        [--split train] [--metainfo configs/_base_/datasets/bonn_posetrack.py] \
        [--image-template 'images/{split}/{video}/{frame:06d}.jpg'] [--bbox-margin 0.1]

Writes ``{out_dir}/{video}.json`` (14 joints, layout from the metainfo file, COCO-style 0/1/2
visibility, ``track_id`` = person row, ``bbox_head`` where the .mat has a head box). Read them
with ``PoseTrackVideoDataset(ann_file=out_dir, metainfo=dict(from_file=<metainfo>))``.
"""
import argparse
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from light_import import import_without_registration  # noqa: E402

# the converter needs numpy/scipy/mmengine only: skip importing (registering) the whole project
convert_bonn_posetrack = import_without_registration(
    'plugins.datasets.bonn_posetrack').convert_bonn_posetrack


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('mat', help='annolist.mat')
    p.add_argument('out_dir', help='output folder for the per-video JSON files')
    p.add_argument('--split', default='train')
    p.add_argument('--metainfo',
                   default=osp.join(ROOT, 'configs/_base_/datasets/bonn_posetrack.py'))
    p.add_argument('--image-template', default='images/{split}/{video}/{frame:06d}.jpg')
    p.add_argument('--bbox-margin', type=float, default=0.1)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    videos = convert_bonn_posetrack(args.mat, args.out_dir, args.metainfo, split=args.split,
                                    image_template=args.image_template,
                                    bbox_margin=args.bbox_margin)
    frames = sum(len(v.frames) for v in videos)
    persons = sum(f.num_persons for v in videos for f in v.frames)
    print(f'[bonn] {len(videos)} videos, {frames} frames, {persons} person-frames -> '
          f'{args.out_dir} in {time.perf_counter() - t0:.1f} s')


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError) as e:  # PoseTrackFormatError is a ValueError
        print(f'error: {e}', file=sys.stderr)
        sys.exit(1)

"""Draw annotated frames of a PoseTrack18-style dataset with mmpose's ``PoseLocalVisualizer``.

    python tools/dataset_converters/render_dataset_samples.py --data data/synthetic \
        --ann annotations/val --frames 200000_synthetic:5 200001_synthetic:20 ... \
        --out docs/images/synthetic_samples.png [--cols 3] [--scale 1] [--metainfo <info.py>]

Each tile is one frame with its ground-truth skeletons (visible joints only), person boxes and
ignore regions (cyan); the tiles are put in a grid and written as one PNG.
"""
import argparse
import os.path as osp
import sys

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def main(argv=None) -> None:
    import plugins  # noqa: F401  (registers the dataset)
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample
    from mmpose.visualization import PoseLocalVisualizer

    from plugins.registry import DATASETS

    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', default='data/synthetic', help='dataset root')
    p.add_argument('--ann', default='annotations/val', help='folder of per-video JSON files')
    p.add_argument('--frames', nargs='+', required=True, help='VIDEO:POSITION items')
    p.add_argument('--metainfo', default=None, help='mmpose dataset_info (PoseTrack18 default)')
    p.add_argument('--cols', type=int, default=3)
    p.add_argument('--scale', type=float, default=1.0, help='resize the grid (smaller PNG)')
    p.add_argument('--out', required=True)
    args = p.parse_args(argv)

    cfg = dict(type='PoseTrackVideoDataset', ann_file=args.ann, data_root=args.data,
               data_prefix=dict(img=''))
    if args.metainfo:
        cfg['metainfo'] = dict(from_file=args.metainfo)
    ds = DATASETS.build(cfg)
    vis = PoseLocalVisualizer(radius=2, line_width=1, alpha=0.9)
    vis.set_dataset_meta(ds.metainfo)
    tiles = []
    for item in args.frames:
        name, pos = item.rsplit(':', 1)
        f = ds.get_frame(ds.video_index(name), int(pos))
        img = cv2.imread(f['img_path'])
        if img is None:
            raise FileNotFoundError(f'image not found: {f["img_path"]}')
        gt = InstanceData(keypoints=f['keypoints'], keypoint_scores=f['keypoints_visible'],
                          keypoints_visible=f['keypoints_visible'], bboxes=f['bbox'])
        sample = PoseDataSample(gt_instances=gt)
        drawn = vis.add_datasample(name, img[..., ::-1].copy(), sample, draw_gt=True,
                                   draw_pred=False, draw_bbox=True, kpt_thr=0.5, show=False)
        drawn = np.ascontiguousarray(drawn[..., ::-1])
        for poly in f['ignore_regions']:
            cv2.polylines(drawn, [np.round(poly).astype(np.int32)], True, (255, 255, 0), 1)
        cv2.putText(drawn, f'{name} #{f["frame_index"]}', (4, 14), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(drawn)
    h, w = tiles[0].shape[:2]
    while len(tiles) % args.cols:
        tiles.append(np.zeros((h, w, 3), np.uint8))
    rows = [np.hstack(tiles[i:i + args.cols]) for i in range(0, len(tiles), args.cols)]
    grid = np.vstack(rows)
    if args.scale != 1.0:
        grid = cv2.resize(grid, None, fx=args.scale, fy=args.scale, interpolation=cv2.INTER_AREA)
    cv2.imwrite(args.out, grid, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()

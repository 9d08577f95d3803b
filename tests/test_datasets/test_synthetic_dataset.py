"""The synthetic dataset: layout, round trip through the loaders, determinism, COCO loaders."""
import json

import cv2
import numpy as np
import pytest

from plugins.datasets.posetrack_json import POSETRACK18_KEYPOINT_NAMES, load_posetrack_video
from plugins.datasets.synthetic.video import (SyntheticVideo, SyntheticVideoConfig,
                                              render_video_annotations)
from plugins.datasets.synthetic.writer import SPLIT_CODES, write_split

CFG = SyntheticVideoConfig(width=160, height=120, num_frames=6, crowd_prob=1.0, blur_prob=0.5)


@pytest.fixture(scope='module')
def synthetic_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthetic')
    write_split(str(root), 'train', 2, CFG, seed=7, workers=1)
    write_split(str(root), 'val', 1, CFG, seed=7, workers=1)
    return root


def test_layout_and_round_trip(synthetic_root):
    files = sorted((synthetic_root / 'annotations' / 'train').glob('*.json'))
    assert [f.stem for f in files] == ['100000_synthetic', '100001_synthetic']
    for i, f in enumerate(files):
        video = load_posetrack_video(f)
        assert len(video.frames) == CFG.num_frames and not video.is_prediction
        # render the same video again in memory: the file holds exactly its annotations
        rng = np.random.default_rng([7, SPLIT_CODES['train'], i])
        again = SyntheticVideo(CFG, rng, POSETRACK18_KEYPOINT_NAMES)
        for (img, ref), got in zip(render_video_annotations(again, f.stem, 100000 + i, 'train'),
                                   video.frames):
            assert got.file_name == ref.file_name == \
                f'images/train/{f.stem}/{ref.frame_index:06d}.jpg'
            assert got.image_id == ref.image_id and got.is_labeled
            np.testing.assert_allclose(got.keypoints, ref.keypoints, atol=1e-3)
            np.testing.assert_array_equal(got.keypoint_scores, ref.keypoint_scores)
            np.testing.assert_array_equal(got.track_ids, ref.track_ids)
            np.testing.assert_allclose(got.bboxes, ref.bboxes, atol=2e-3)
            np.testing.assert_allclose(got.head_bboxes, ref.head_bboxes, atol=2e-3)
            assert len(got.ignore_regions) == len(ref.ignore_regions)
            disk = cv2.imread(str(synthetic_root / got.file_name))
            assert disk.shape == (CFG.height, CFG.width, 3)
            assert np.abs(disk.astype(int) - img).mean() < 4  # JPEG of the same frame
            # labels are consistent with the pixels' frame
            for j in range(got.num_persons):
                vis = got.keypoint_scores[j] > 0
                kp = got.keypoints[j][vis]
                assert np.all((kp >= 0) & (kp < [CFG.width, CFG.height]))
                x1, y1, x2, y2 = got.bboxes[j]
                assert 0 <= x1 < x2 <= CFG.width - 1 and 0 <= y1 < y2 <= CFG.height - 1


def test_merged_file_matches_per_video_files(synthetic_root):
    merged = json.load(open(synthetic_root / 'annotations' / 'train.json'))
    per_video = [json.load(open(f)) for f in
                 sorted((synthetic_root / 'annotations' / 'train').glob('*.json'))]
    assert len(merged['images']) == sum(len(v['images']) for v in per_video) == 12
    assert merged['annotations'] == [a for v in per_video for a in v['annotations']]
    ids = [a['id'] for a in merged['annotations']]
    assert len(set(ids)) == len(ids)
    img_ids = {i['id'] for i in merged['images']}
    val_ids = {i['id'] for i in json.load(open(synthetic_root / 'annotations' / 'val.json'))
               ['images']}
    assert not img_ids & val_ids  # unique across splits too
    assert merged['categories'][0]['id'] == 1 and merged['categories'][0]['name'] == 'person'
    for a in merged['annotations']:
        assert a['category_id'] == 1 and a['num_keypoints'] == sum(
            v > 0 for v in a['keypoints'][2::3])
        assert a['area'] == pytest.approx(a['bbox'][2] * a['bbox'][3], rel=1e-3)


def test_deterministic_and_independent_of_workers(synthetic_root, tmp_path):
    write_split(str(tmp_path), 'train', 2, CFG, seed=7, workers=2)
    a = (synthetic_root / 'annotations' / 'train.json').read_bytes()
    b = (tmp_path / 'annotations' / 'train.json').read_bytes()
    assert a == b
    img = 'images/train/100001_synthetic/000003.jpg'
    assert (synthetic_root / img).read_bytes() == (tmp_path / img).read_bytes()
    # another seed gives another dataset
    write_split(str(tmp_path / 'other'), 'train', 1, CFG, seed=8, workers=1)
    assert (tmp_path / 'other' / 'annotations' / 'train.json').read_bytes() != a


def test_openmmlab_loaders_read_the_merged_files(synthetic_root):
    from mmdet.datasets import CocoDataset as DetCocoDataset
    from mmpose.datasets import CocoDataset, PoseTrack18Dataset
    merged = json.load(open(synthetic_root / 'annotations' / 'val.json'))
    n_ann = len(merged['annotations'])
    assert n_ann > 0
    kw = dict(ann_file='annotations/val.json', data_root=str(synthetic_root),
              data_prefix=dict(img=''), pipeline=[], test_mode=False)
    pt = PoseTrack18Dataset(**kw)
    assert len(pt) == n_ann
    first = pt[0]
    ann0 = merged['annotations'][0]
    np.testing.assert_allclose(first['keypoints'][0], np.array(ann0['keypoints']).reshape(-1, 3)
                               [:, :2], atol=1e-3)
    assert first['img_path'].endswith(merged['images'][0]['file_name'])
    coco = CocoDataset(data_mode='bottomup', **kw)
    assert len(coco) == len(merged['images'])
    det = DetCocoDataset(metainfo=dict(classes=('person',)), filter_cfg=None, **kw)
    n_boxes = sum(len(det[i]['instances']) for i in range(len(det)))
    assert n_boxes == n_ann


def test_video_dataset_reads_synthetic_folder(synthetic_root):
    from plugins.registry import DATASETS
    ds = DATASETS.build(dict(type='PoseTrackVideoDataset', ann_file='annotations/val',
                             data_root=str(synthetic_root), data_prefix=dict(img='')))
    assert ds.video_names == ['200000_synthetic'] and len(ds) == 1
    seq = ds[0]
    merged = json.load(open(synthetic_root / 'annotations' / 'val.json'))
    assert seq['num_frames'] == len(merged['images'])
    assert sum(len(f['track_ids']) for f in seq['frames']) == len(merged['annotations'])
    assert all(f['img_path'].startswith(str(synthetic_root)) for f in seq['frames'])

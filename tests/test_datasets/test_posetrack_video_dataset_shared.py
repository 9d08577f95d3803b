"""The sequence dataset on the real PoseTrack18 samples (``../shared``), checked against the raw
JSON and against mmpose's own ``PoseTrack18Dataset`` reading the same files."""
import json

import numpy as np
import pytest

ROOT = 'mmpose_samples/posetrack18'


@pytest.fixture(scope='module')
def video_dataset(shared_data_root):
    from plugins.registry import DATASETS
    return DATASETS.build(dict(type='PoseTrackVideoDataset', ann_file='annotations/val',
                               data_root=str(shared_data_root / ROOT), data_prefix=dict(img='')))


def test_shared_sequences_match_raw_json(video_dataset, shared_data_root):
    assert video_dataset.video_names == ['003418_mpii_test', '009473_mpii_test',
                                         '012834_mpii_test']
    for v, name in enumerate(video_dataset.video_names):
        raw = json.load(open(shared_data_root / ROOT / 'annotations' / 'val' / f'{name}.json'))
        seq = video_dataset[v]
        assert seq['video_name'] == name and seq['num_frames'] == len(raw['images'])
        for f, img in zip(seq['frames'], raw['images']):
            assert f['img_path'].endswith(img['file_name'])
            assert (shared_data_root / ROOT / img['file_name']).is_file()
            anns = [a for a in raw['annotations'] if a['image_id'] == img['id']]
            assert len(f['track_ids']) == len(anns)
            for j, a in enumerate(anns):
                kv = np.array(a['keypoints']).reshape(-1, 3)
                np.testing.assert_allclose(f['keypoints'][j], kv[:, :2], rtol=1e-6)
                np.testing.assert_array_equal(f['keypoints_visible'][j], kv[:, 2] > 0)
                x, y, w, h = a['bbox']
                np.testing.assert_allclose(f['bbox'][j], [x, y, x + w, y + h], rtol=1e-6)
            assert f['ignore_regions_x'] == img['ignore_regions_x']
            assert f['ignore_regions_y'] == img['ignore_regions_y']


def test_shared_mmpose_posetrack18_dataset_agrees(video_dataset, shared_data_root):
    from mmpose.datasets import PoseTrack18Dataset
    ours = {}
    for v in range(len(video_dataset)):
        for f in video_dataset[v]['frames']:
            for j, tid in enumerate(f['track_ids']):
                ours[(f['img_id'], int(tid))] = (f, j)
    files = ['annotations/test_posetrack18_val.json'] + [
        f'annotations/val/{n}.json' for n in video_dataset.video_names]
    seen = set()
    for ann_file in files:
        ds = PoseTrack18Dataset(ann_file=ann_file, data_root=str(shared_data_root / ROOT),
                                data_prefix=dict(img=''), pipeline=[], test_mode=True)
        for i in range(len(ds)):
            inst = ds[i]
            key = (inst['img_id'], inst['raw_ann_info']['track_id'])
            f, j = ours[key]
            seen.add(key)
            assert inst['img_path'] == f['img_path']
            np.testing.assert_allclose(inst['keypoints'][0], f['keypoints'][j], rtol=1e-6)
            np.testing.assert_array_equal(inst['keypoints_visible'][0], f['keypoints_visible'][j])
            # mmpose clips boxes to the image
            box = np.clip(f['bbox'][j], 0, [f['width'] - 1, f['height'] - 1] * 2)
            np.testing.assert_allclose(inst['bbox'][0], box, rtol=1e-5)
    assert seen == set(ours) and len(ours) == 14

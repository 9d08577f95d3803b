"""Loading the real PoseTrack18 sample files (``../shared``) and comparing with the raw JSON."""
import json

import numpy as np
import pytest

from plugins.datasets.posetrack_json import dump_posetrack_video, load_posetrack_video

VIDEOS = ['003418_mpii_test', '009473_mpii_test', '012834_mpii_test']


def _val_dir(shared_data_root):
    return shared_data_root / 'mmpose_samples' / 'posetrack18' / 'annotations' / 'val'


@pytest.mark.parametrize('name', VIDEOS)
def test_shared_posetrack18_values_match_raw_json(shared_data_root, name, tmp_path):
    path = _val_dir(shared_data_root) / f'{name}.json'
    raw = json.load(open(path))
    video = load_posetrack_video(path)
    assert video.name == name and not video.is_prediction
    assert len(video.frames) == len(raw['images'])
    assert video.keypoint_names[1:3] == ['head_bottom', 'head_top']
    for frame, img in zip(video.frames, raw['images']):
        assert frame.image_id == img['id'] and frame.file_name == img['file_name']
        assert frame.is_labeled == img['is_labeled'] and frame.frame_index == 0
        assert (frame.width, frame.height) == (1920, 1080)
        anns = [a for a in raw['annotations'] if a['image_id'] == img['id']]
        assert frame.num_persons == len(anns)
        for j, ann in enumerate(anns):
            kv = np.array(ann['keypoints'], np.float64).reshape(17, 3)
            np.testing.assert_allclose(frame.keypoints[j], kv[:, :2], rtol=1e-6)
            np.testing.assert_array_equal(frame.keypoint_scores[j], kv[:, 2])
            assert frame.track_ids[j] == ann['track_id']
            x, y, w, h = ann['bbox']
            np.testing.assert_allclose(frame.bboxes[j], [x, y, x + w, y + h], rtol=1e-6)
            x, y, w, h = ann['bbox_head']
            np.testing.assert_allclose(frame.head_bboxes[j], [x, y, x + w, y + h], rtol=1e-6)
        assert len(frame.ignore_regions) == len(img['ignore_regions_x'])
        for poly, xs, ys in zip(frame.ignore_regions, img['ignore_regions_x'],
                                img['ignore_regions_y']):
            np.testing.assert_array_equal(poly, np.stack([xs, ys], 1).astype(np.float32))
    # writing back gives the same values (and keeps the image metadata)
    dump_posetrack_video(video, tmp_path / f'{name}.json')
    again = json.load(open(tmp_path / f'{name}.json'))
    for a, b in zip(raw['annotations'], again['annotations']):
        assert a['id'] == b['id'] and a['num_keypoints'] == b['num_keypoints']
        np.testing.assert_allclose(a['keypoints'], b['keypoints'], atol=1e-3)
        np.testing.assert_allclose(a['bbox'], b['bbox'], atol=2e-3)
        np.testing.assert_allclose(a['bbox_head'], b['bbox_head'], atol=2e-3)
    for a, b in zip(raw['images'], again['images']):
        assert {k: v for k, v in a.items() if 'ignore' not in k} == \
            {k: v for k, v in b.items() if 'ignore' not in k}
        assert a['ignore_regions_x'] == b['ignore_regions_x']

"""PoseTrackVideoDataset on constructed per-video files: modes, neighbours, errors."""
import numpy as np
import pytest

from plugins.datasets.posetrack_json import FrameAnnotation, VideoAnnotation, \
    dump_posetrack_video
from plugins.registry import DATASETS


def _video(name, n_frames, labeled, k=17):
    frames = []
    for t in range(n_frames):
        n = 1 if labeled[t] else 0
        frames.append(FrameAnnotation(
            image_id=1000 * len(name) + t, file_name=f'images/{name}/{t:06d}.jpg',
            frame_index=t, is_labeled=bool(labeled[t]),
            keypoints=np.full((n, k, 2), float(t), np.float32),
            keypoint_scores=np.ones((n, k), np.float32), track_ids=np.arange(n) + 3,
            bboxes=np.tile([[0, 0, 10, 10]], (n, 1)), head_bboxes=np.full((n, 4), np.nan),
            ignore_regions=[np.array([[0, 0], [5, 0], [5, 5]])] if t == 1 else []))
    return VideoAnnotation(name=name, frames=frames)


@pytest.fixture()
def folder(tmp_path):
    dump_posetrack_video(_video('a', 4, [1, 0, 1, 1]), tmp_path / 'a.json')
    dump_posetrack_video(_video('bb', 2, [1, 1]), tmp_path / 'bb.json')
    return tmp_path


def test_video_and_frame_modes(folder):
    ds = DATASETS.build(dict(type='PoseTrackVideoDataset', ann_file=str(folder),
                             data_prefix=dict(img='/data')))
    assert len(ds) == 2 and ds.video_names == ['a', 'bb']
    seq = ds[0]
    assert [f['is_labeled'] for f in seq['frames']] == [True, False, True, True]
    assert seq['frames'][1]['keypoints'].shape == (0, 17, 2)
    assert seq['frames'][1]['ignore_regions_x'] == [[0, 5, 5]]
    assert seq['frames'][2]['img_path'] == '/data/images/a/000002.jpg'
    fm = DATASETS.build(dict(type='PoseTrackVideoDataset', ann_file=str(folder), mode='frame',
                             neighbour_offsets=(-2, -1, 1)))
    assert fm.frame_positions() == [(0, 0), (0, 2), (0, 3), (1, 0), (1, 1)]
    item = fm[1]  # video a, frame 2
    assert item['position'] == 2 and item['neighbour_positions'] == [0, 1, 3]
    assert [n['frame_index'] for n in item['neighbours']] == [0, 1, 3]
    assert item['neighbours'][0]['keypoints'][0, 0, 0] == 0.0
    assert fm[3]['neighbour_positions'] == [0, 0, 1]  # clamped at the start
    all_frames = DATASETS.build(dict(type='PoseTrackVideoDataset', ann_file=str(folder),
                                     mode='frame', labeled_only=False))
    assert len(all_frames) == 6
    only = DATASETS.build(dict(type='PoseTrackVideoDataset', ann_file=str(folder),
                               videos=['bb']))
    assert only.video_names == ['bb']


def test_errors(folder, tmp_path_factory):
    with pytest.raises(FileNotFoundError, match='not found'):
        DATASETS.build(dict(type='PoseTrackVideoDataset', ann_file=str(folder / 'nope')))
    with pytest.raises(FileNotFoundError, match='zz'):
        DATASETS.build(dict(type='PoseTrackVideoDataset', ann_file=str(folder), videos=['zz']))
    with pytest.raises(ValueError, match='mode'):
        DATASETS.build(dict(type='PoseTrackVideoDataset', ann_file=str(folder), mode='clip'))
    other = tmp_path_factory.mktemp('k14')
    video = _video('c', 2, [1, 1], k=14)
    video.categories = [dict(id=1, name='person', keypoints=[f'j{i}' for i in range(14)])]
    dump_posetrack_video(video, other / 'c.json')
    with pytest.raises(ValueError, match='14 keypoints'):
        DATASETS.build(dict(type='PoseTrackVideoDataset', ann_file=str(other)))
    ds = DATASETS.build(dict(type='PoseTrackVideoDataset', ann_file=str(folder)))
    with pytest.raises(IndexError, match='out of range'):
        ds.get_frame(1, 5)

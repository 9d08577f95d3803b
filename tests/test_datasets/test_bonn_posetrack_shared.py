"""Bonn Multi-Person PoseTrack (``../shared``): conversion counts, hand-checked values, and
reading the converted files through the sequence dataset."""
import json

import numpy as np
import pytest

from plugins.datasets.bonn_posetrack import convert_bonn_posetrack

METAINFO = 'configs/_base_/datasets/bonn_posetrack.py'

# (video, track, frame) -> {keypoint name: (x, y, flag)} read by hand from annolist.mat
# (MPII ids: 0 r_ankle, 1 r_knee, 3 l_hip, 8 upper neck, 9 head top, 10 r_wrist, 15 l_wrist)
HAND_CHECKED = {
    ('000001', 0, 0): dict(head_top=(444.46944, 37.25506, 2),
                           head_bottom=(461.40427, 104.99438, 2),
                           right_knee=(379.33594, 341.92580, 2), right_ankle=(0, 0, 0)),
    ('000015', 5, 50): dict(left_hip=(316.94633, 310.42318, 1),
                            right_wrist=(303.58183, 307.21958, 2),
                            head_top=(310.26084, 260.17527, 1)),
    ('099750569', 8, 40): dict(left_wrist=(283.40899, 356.18427, 2),
                               right_ankle=(197.95281, 534.18876, 2)),
}


@pytest.fixture(scope='module')
def converted(shared_data_root, tmp_path_factory, repo_root):
    out = tmp_path_factory.mktemp('bonn') / 'train'
    videos = convert_bonn_posetrack(shared_data_root / 'bonn_posetrack' / 'train' / 'annolist.mat',
                                    out, repo_root / METAINFO)
    return out, videos


def test_shared_bonn_counts_and_hand_checked_values(converted):
    out, videos = converted
    assert len(videos) == 30
    assert sum(len(v.frames) for v in videos) == 1526
    assert sum(f.num_persons for v in videos for f in v.frames) == 6394
    by_name = {v.name: v for v in videos}
    names = by_name['000001'].keypoint_names
    assert len(names) == 14 and 'nose' not in names
    for (video, track, frame), joints in HAND_CHECKED.items():
        fr = by_name[video].frames[frame]
        j = list(fr.track_ids).index(track)
        for name, (x, y, flag) in joints.items():
            k = names.index(name)
            assert fr.keypoint_scores[j, k] == flag, (video, name)
            if flag:
                np.testing.assert_allclose(fr.keypoints[j, k], (x, y), atol=1e-3)
    head = by_name['000001'].frames[0].head_bboxes[0]
    np.testing.assert_allclose(head, [426.60009, 37.03933, 481.40171, 105.86342], atol=1e-3)
    assert np.isnan(by_name['000015'].frames[50].head_bboxes[
        list(by_name['000015'].frames[50].track_ids).index(5)]).all()
    # person boxes contain every annotated joint
    for v in videos:
        for f in v.frames:
            lab = f.keypoint_scores > 0
            x, y = f.keypoints[..., 0], f.keypoints[..., 1]
            assert np.all(~lab | ((x >= f.bboxes[:, None, 0]) & (x <= f.bboxes[:, None, 2])
                                  & (y >= f.bboxes[:, None, 1]) & (y <= f.bboxes[:, None, 3])))
    # the file on disk: PoseTrack18 layout with its own categories
    raw = json.load(open(out / '000001.json'))
    assert raw['categories'][0]['keypoints'] == names
    assert raw['annotations'][0]['bbox_head'] == pytest.approx(
        [426.6, 37.039, 54.802, 68.824], abs=2e-3)


def test_shared_bonn_reads_through_sequence_dataset(converted, repo_root):
    from plugins.registry import DATASETS
    out, videos = converted
    ds = DATASETS.build(dict(type='PoseTrackVideoDataset', ann_file=str(out),
                             metainfo=dict(from_file=str(repo_root / METAINFO))))
    assert ds.num_videos == 30 and ds.metainfo['num_keypoints'] == 14
    assert ds.metainfo['flip_indices'][2:4] == [3, 2]  # left/right shoulders swap
    frames = persons = 0
    for v in range(len(ds)):
        seq = ds[v]
        frames += seq['num_frames']
        persons += sum(len(f['track_ids']) for f in seq['frames'])
    assert (frames, persons) == (1526, 6394)
    seq = ds[ds.video_index('000015')]
    f = seq['frames'][50]
    j = list(f['track_ids']).index(5)
    k = ds.metainfo['keypoint_name2id']['left_hip']
    np.testing.assert_allclose(f['keypoints'][j, k], (316.94633, 310.42318), atol=1e-3)
    assert f['keypoints_visible'][j, k] == 1 and f['keypoint_flags'][j, k] == 1
    # frame mode: neighbours of the last frame are clamped to the video
    fm = DATASETS.build(dict(type='PoseTrackVideoDataset', ann_file=str(out), mode='frame',
                             neighbour_offsets=(-1, 1),
                             metainfo=dict(from_file=str(repo_root / METAINFO))))
    assert len(fm) == 1526
    last = fm.get_frame_with_neighbours(0, 75)
    assert last['neighbour_positions'] == [74, 75]

"""PoseTrack18 per-video JSON I/O: round trips, the incremental writer, malformed input."""
import json

import numpy as np
import pytest

from plugins.datasets.posetrack_json import (FrameAnnotation, PoseTrackFormatError,
                                             PoseTrackJsonWriter, VideoAnnotation,
                                             dump_posetrack_video, load_posetrack_video)


def _frame(idx: int, n: int, rng: np.random.Generator, prediction: bool) -> FrameAnnotation:
    kpts = rng.uniform(0, 300, (n, 17, 2)).astype(np.float32)
    scores = (rng.uniform(0, 1, (n, 17)) if prediction
              else (rng.uniform(0, 1, (n, 17)) > 0.3)).astype(np.float32)
    boxes = np.concatenate([kpts.min(1), kpts.max(1)], 1)
    heads = boxes.copy()
    heads[:, 3] = heads[:, 1] + 20
    if n:
        heads[0] = np.nan  # one person without head box
    return FrameAnnotation(
        image_id=10000000 + idx, file_name=f'images/val/vid/{idx:06d}.jpg', frame_index=idx,
        is_labeled=n > 0, keypoints=kpts, keypoint_scores=scores,
        track_ids=np.arange(n, dtype=np.int64) + 7, bboxes=boxes, head_bboxes=heads,
        ignore_regions=[np.array([[0, 0], [10, 0], [10, 12.5]], np.float32)] if idx == 1 else [],
        bbox_scores=rng.uniform(0.5, 1, n).astype(np.float32), width=384, height=288)


def _assert_frames_equal(a: FrameAnnotation, b: FrameAnnotation, scores_atol: float) -> None:
    assert (a.image_id, a.file_name, a.frame_index, a.is_labeled) == \
        (b.image_id, b.file_name, b.frame_index, b.is_labeled)
    np.testing.assert_allclose(a.keypoints, b.keypoints, atol=1e-3)
    np.testing.assert_allclose(a.keypoint_scores, b.keypoint_scores, atol=scores_atol)
    np.testing.assert_array_equal(a.track_ids, b.track_ids)
    np.testing.assert_allclose(a.bboxes, b.bboxes, atol=2e-3)
    np.testing.assert_allclose(a.head_bboxes, b.head_bboxes, atol=2e-3)  # NaN == NaN
    assert len(a.ignore_regions) == len(b.ignore_regions)
    for p, q in zip(a.ignore_regions, b.ignore_regions):
        np.testing.assert_allclose(p, q, atol=1e-3)


@pytest.mark.parametrize('prediction', [False, True])
def test_round_trip(tmp_path, prediction):
    rng = np.random.default_rng(0)
    frames = [_frame(i, n, rng, prediction) for i, n in enumerate([3, 0, 1])]
    video = VideoAnnotation(name='vid', frames=frames, is_prediction=prediction)
    dump_posetrack_video(video, tmp_path / 'vid.json')
    back = load_posetrack_video(tmp_path / 'vid.json')
    assert back.name == 'vid' and back.is_prediction == prediction
    assert len(back.frames) == 3
    for a, b in zip(frames, back.frames):
        _assert_frames_equal(a, b, scores_atol=1e-3)
    raw = json.load(open(tmp_path / 'vid.json'))
    ann = raw['annotations'][0]
    # xywh in the file, xyxy in memory
    x1, y1, x2, y2 = frames[0].bboxes[0]
    np.testing.assert_allclose(ann['bbox'], [x1, y1, x2 - x1, y2 - y1], atol=2e-3)
    assert 'bbox_head' not in ann  # NaN head box is omitted
    assert ann['track_id'] == 7
    if prediction:
        np.testing.assert_allclose(ann['scores'], frames[0].keypoint_scores[0], atol=1e-3)
        np.testing.assert_allclose(ann['score'], frames[0].bbox_scores[0], atol=1e-3)
    else:
        assert ann['scores'] == []
        assert ann['num_keypoints'] == int(frames[0].keypoint_scores[0].sum())
        assert set(ann['keypoints'][2::3]) <= {0.0, 1.0}


def test_writer_leaves_valid_file_after_each_frame(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / 'out' / 'pred.json'
    with PoseTrackJsonWriter(path) as writer:
        assert load_posetrack_video(path).frames == []  # valid before any frame
        for i, n in enumerate([2, 0, 4]):
            f = _frame(i, n, rng, True)
            writer.add_frame(f)
            video = load_posetrack_video(path)
            assert len(video.frames) == i + 1
            _assert_frames_equal(video.frames[-1], f, scores_atol=1e-3)
        writer.add_instances(image_id=99, file_name='x/000003.jpg', frame_index=3,
                             keypoints=np.full((1, 17, 2), 5.0), keypoint_scores=np.ones((1, 17)),
                             track_ids=[42])
    video = load_posetrack_video(path)
    assert [f.num_persons for f in video.frames] == [2, 0, 4, 1]
    np.testing.assert_allclose(video.frames[3].bboxes[0], [5, 5, 5, 5])
    assert not list(path.parent.glob('.*.tmp'))  # no temporary files left behind
    # the permissions of a plain new file (the temporary file's 0600 is not kept)
    import os
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    (path.parent / 'plain.json').write_text('{}')
    assert path.stat().st_mode & 0o777 == (path.parent / 'plain.json').stat().st_mode & 0o777
    with pytest.raises(RuntimeError, match='closed'):
        writer.add_frame(_frame(5, 1, rng, True))


def _write(tmp_path, obj) -> str:
    p = tmp_path / 'bad.json'
    p.write_text(json.dumps(obj) if not isinstance(obj, str) else obj)
    return str(p)


def test_malformed_input_names_file_and_field(tmp_path):
    img = dict(id=1, file_name='a/000000.jpg')
    ann = dict(image_id=1, keypoints=[0.0] * 51, track_id=0)
    cases = [
        ('{not json', 'not valid JSON'),
        (dict(images=[img]), "'annotations'"),
        (dict(images=[dict(id=1)], annotations=[]), "'file_name'"),
        (dict(images=[img], annotations=[dict(ann, keypoints=[1.0] * 50)]), "'keypoints' has 50"),
        (dict(images=[img], annotations=[dict(ann, image_id=2)]), 'image_id'),
        (dict(images=[img], annotations=[dict(ann, bbox=[1, 2, 3])]), "'bbox'"),
        (dict(images=[dict(img, ignore_regions_x=[[1, 2]], ignore_regions_y=[])],
              annotations=[]), 'ignore_regions'),
        (dict(images=[img, img], annotations=[]), 'duplicate image id'),
    ]
    for obj, message in cases:
        path = _write(tmp_path, obj)
        with pytest.raises(PoseTrackFormatError) as info:
            load_posetrack_video(path)
        assert message in str(info.value) and 'bad.json' in str(info.value), str(info.value)


def test_frame_annotation_checks_shapes():
    with pytest.raises(ValueError, match='track_ids'):
        FrameAnnotation(image_id=0, file_name='f', frame_index=0, is_labeled=True,
                        keypoints=np.zeros((2, 17, 2)), keypoint_scores=np.zeros((2, 17)),
                        track_ids=np.zeros(3), bboxes=np.zeros((2, 4)),
                        head_bboxes=np.zeros((2, 4)))
    empty = FrameAnnotation.empty(0, 'f', 0, num_keypoints=14)
    assert empty.keypoints.shape == (0, 14, 2) and empty.keypoint_scores.shape == (0, 14)

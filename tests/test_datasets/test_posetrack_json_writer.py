"""The O(1)-per-frame PoseTrack18 writer and the streaming track-edit pass."""
import json
from types import SimpleNamespace

import numpy as np
import pytest
from mmengine.structures import InstanceData

from plugins.datasets.posetrack_json import (FrameAnnotation, PoseTrackJsonWriter,
                                             VideoAnnotation, apply_track_edits,
                                             dump_posetrack_video, load_posetrack_video,
                                             video_to_json)
from plugins.datasets.posetrack_json import writer as writer_module


def _frame(idx, n, rng, k=17, ids=None):
    kpts = rng.uniform(1, 300, (n, k, 2)).astype(np.float32)
    return FrameAnnotation(
        image_id=1000 + idx, file_name=f'vid/{idx:06d}.jpg', frame_index=idx, is_labeled=True,
        keypoints=kpts, keypoint_scores=rng.uniform(0.1, 1, (n, k)).astype(np.float32),
        track_ids=np.asarray(ids if ids is not None else np.arange(n), np.int64),
        bboxes=np.concatenate([kpts.min(1), kpts.max(1)], 1),
        head_bboxes=np.full((n, 4), np.nan, np.float32),
        bbox_scores=rng.uniform(0.5, 1, n).astype(np.float32), width=640, height=480)


def test_file_equals_a_whole_dump_after_every_frame_while_growing(tmp_path, monkeypatch):
    monkeypatch.setattr(writer_module, 'INITIAL_IMAGE_ROOM', 150)  # grows several times
    rng = np.random.default_rng(0)
    path = tmp_path / 'v.json'
    frames = []
    with PoseTrackJsonWriter(path) as w:
        assert json.loads(path.read_text())['images'] == []
        for i in range(40):
            frames.append(_frame(i, int(rng.integers(0, 4)), rng))
            w.add_frame(frames[-1])
            expected = video_to_json(VideoAnnotation('v', list(frames), is_prediction=True))
            assert json.loads(path.read_text()) == expected, f'after frame {i}'
    assert w._room_end - len(w._head) >= 2 * 150  # it did grow
    assert not list(tmp_path.glob('.*.tmp'))


def test_flush_every_writes_in_batches(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / 'v.json'
    w = PoseTrackJsonWriter(path, flush_every=3)
    for i in range(4):
        w.add_frame(_frame(i, 2, rng))
    assert len(json.loads(path.read_text())['images']) == 3
    w.close()
    assert len(load_posetrack_video(path).frames) == 4


class _CountingFile:
    def __init__(self, f):
        self.f, self.written = f, 0

    def write(self, b):
        self.written += len(b)
        return self.f.write(b)

    def __getattr__(self, name):
        return getattr(self.f, name)


def test_bytes_written_per_frame_do_not_grow_with_the_video(tmp_path):
    """Each frame costs its own bytes only (no rewrite of earlier frames)."""
    rng = np.random.default_rng(2)
    w = PoseTrackJsonWriter(tmp_path / 'v.json', reserve_frames=2000)
    frame = _frame(0, 5, rng)
    per_frame = []
    for i in range(1500):
        f = FrameAnnotation(**{**frame.__dict__, 'image_id': 5000 + i, 'frame_index': i,
                               'file_name': f'vid/{i:06d}.jpg'})
        w._file = counting = _CountingFile(w._file if not isinstance(w._file, _CountingFile)
                                           else w._file.f)
        w.add_frame(f)
        per_frame.append(counting.written)
    w.close()
    # the same bytes for every frame (the first one has no leading commas)
    assert set(per_frame[1:]) == {per_frame[1]} and per_frame[0] == per_frame[1] - 2
    assert len(load_posetrack_video(tmp_path / 'v.json').frames) == 1500


# ------------------------------------------------------------------------ streaming edits
def _reference_apply(video, id_map, dropped, inserted):
    """Per-frame edits written out plainly: remap, drop, append inserted poses."""
    out = []
    for f in video.frames:
        ids = [id_map.get(int(t), int(t)) for t in f.track_ids]
        rows = [(tuple(ids[j:j + 1]), f.keypoints[j], f.keypoint_scores[j])
                for j in range(f.num_persons) if ids[j] not in dropped]
        if f.frame_index in inserted:
            ins = inserted[f.frame_index]
            for j in range(len(ins)):
                if int(ins.track_ids[j]) not in dropped:
                    rows.append(((int(ins.track_ids[j]),), ins.keypoints[j],
                                 ins.keypoint_scores[j]))
        out.append(rows)
    return out


def _as_rows(video):
    return [[((int(f.track_ids[j]),), f.keypoints[j], f.keypoint_scores[j])
             for j in range(f.num_persons)] for f in video.frames]


def _assert_rows_equal(a, b):
    assert len(a) == len(b)
    for fa, fb in zip(a, b):
        assert [r[0] for r in fa] == [r[0] for r in fb]
        for ra, rb in zip(fa, fb):
            np.testing.assert_allclose(ra[1], rb[1], atol=1e-3)
            np.testing.assert_allclose(ra[2], rb[2], atol=1e-3)


def _edits(rng, k=17):
    inserted = {
        2: InstanceData(keypoints=rng.uniform(1, 300, (2, k, 2)).astype(np.float32),
                        keypoint_scores=np.full((2, k), 0.5, np.float32),
                        track_ids=np.array([70, 99])),
        5: InstanceData(keypoints=rng.uniform(1, 300, (1, k, 2)).astype(np.float32),
                        keypoint_scores=np.full((1, k), 0.4, np.float32),
                        track_ids=np.array([71]))}
    return SimpleNamespace(id_map={0: 70, 1: 71, 3: 70}, dropped={2, 99}, inserted=inserted)


@pytest.mark.parametrize('layout', ['writer', 'dump'])
def test_streaming_edits_equal_per_frame_edits(tmp_path, layout):
    rng = np.random.default_rng(3)
    frames = [_frame(i, 4, rng, ids=[(i + j) % 5 for j in range(4)]) for i in range(8)]
    frames[4] = _frame(4, 0, rng)  # a frame without persons
    path = tmp_path / 'v.json'
    if layout == 'writer':
        with PoseTrackJsonWriter(path) as w:
            for f in frames:
                w.add_frame(f)
    else:
        dump_posetrack_video(VideoAnnotation('v', frames, is_prediction=True), path)
    before = load_posetrack_video(path)
    edits = _edits(rng)
    apply_track_edits(path, edits)
    after = load_posetrack_video(path)
    _assert_rows_equal(_as_rows(after), _reference_apply(before, edits.id_map, edits.dropped,
                                                         edits.inserted))
    raw = json.loads(path.read_text())
    ids = [a['id'] for a in raw['annotations']]
    assert len(ids) == len(set(ids))  # annotation ids stay unique
    # the result keeps the streaming layout: a second pass works and composes
    apply_track_edits(path, SimpleNamespace(id_map={70: 5}, dropped=set(), inserted={}))
    again = load_posetrack_video(path)
    assert 70 not in np.concatenate([f.track_ids for f in again.frames])
    assert not list(tmp_path.glob('.*tmp'))


def test_streaming_edits_match_arch_track_edits_apply(tmp_path):
    track_edits = pytest.importorskip('plugins.tracking.track_edits')
    rng = np.random.default_rng(4)
    frames = [_frame(i, 3, rng, ids=[i % 4, 4 + i % 2, 9]) for i in range(7)]
    path = tmp_path / 'v.json'
    with PoseTrackJsonWriter(path) as w:
        for f in frames:
            w.add_frame(f)
    e = _edits(rng)
    edits = track_edits.TrackEdits(id_map=e.id_map, dropped=e.dropped, inserted=e.inserted)
    apply_track_edits(path, edits, tmp_path / 'out.json')
    after = load_posetrack_video(tmp_path / 'out.json')
    for f, g in zip(frames, after.frames):
        want = edits.apply(f.frame_index, f.to_instances())
        np.testing.assert_array_equal(np.asarray(want.track_ids), g.track_ids)


def test_inserting_into_an_unknown_frame_names_it(tmp_path):
    rng = np.random.default_rng(5)
    path = tmp_path / 'v.json'
    with PoseTrackJsonWriter(path) as w:
        w.add_frame(_frame(0, 1, rng))
    edits = SimpleNamespace(id_map={}, dropped=set(), inserted={
        7: InstanceData(keypoints=np.ones((1, 17, 2)), keypoint_scores=np.ones((1, 17)),
                        track_ids=np.array([1]))})
    with pytest.raises(ValueError, match=r'frame indices \[7\]'):
        apply_track_edits(path, edits)
    assert len(load_posetrack_video(path).frames) == 1  # input untouched

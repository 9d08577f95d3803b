"""tools/track.py on the real PoseTrack18 frames of ../shared (mp4 and frame folder) and on bad
input, with randomly initialised tiny models (the point is the plumbing, not accuracy)."""
import importlib.util
import json
import os.path as osp
import shutil
import warnings

import cv2
import numpy as np
import pytest
import torch

import plugins  # noqa: F401
from plugins.datasets.posetrack_json import load_posetrack_video

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DET_CONFIG = osp.join(ROOT, 'configs/demo/rtmdet-tiny_synthetic-person-192x144.py')
POSE_CONFIG = osp.join(ROOT, 'configs/demo/td-hm_res18-tiny_synthetic-128x96.py')
VIDEO = 'mmpose_samples/posetrack18/videos/000001_mpiinew_test'


def load_track_tool():
    spec = importlib.util.spec_from_file_location('track_tool', osp.join(ROOT, 'tools/track.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def pipeline_config(tmp_path_factory):
    """A pipeline config whose detector is a saved random RTMDet with ~3-stride boxes."""
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope
    tmp = tmp_path_factory.mktemp('track_tool')
    torch.manual_seed(0)
    init_default_scope('mmdet')
    det = MODELS.build(Config.fromfile(DET_CONFIG).model)
    for conv in det.bbox_head.rtm_reg:  # random weights predict sub-pixel boxes otherwise
        conv.bias.data.fill_(3.0)
    ckpt = tmp / 'random_detector.pth'
    torch.save(dict(state_dict=det.state_dict(),
                    meta=dict(dataset_meta=dict(classes=('person', )))), ckpt)
    path = tmp / 'pipeline.py'
    path.write_text(f"""
_base_ = ['{ROOT}/configs/_base_/pipelines/topdown_oks_tracking.py']
tracking_pipeline = dict(
    detector=dict(config='{DET_CONFIG}', checkpoint='{ckpt}', score_thr=0.0, max_persons=4,
                  cfg_options=dict(model=dict(test_cfg=dict(score_thr=0.0)))),
    pose_estimator=dict(config='{POSE_CONFIG}', checkpoint=None),
    tracker=dict(type='IoUTracker'))
""")
    return str(path)


@pytest.mark.parametrize('source', ['folder', 'mp4'])
def test_track_tool_on_shared_real_frames(shared_data_root, pipeline_config, tmp_path, source):
    folder = shared_data_root / VIDEO
    src = str(folder) if source == 'folder' else str(folder / '000001_mpiinew_test.mp4')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the folder also holds the .mp4: skipped, warned
        stats = load_track_tool().main([src, '--pipeline', pipeline_config, '--out',
                                        str(tmp_path)])
    assert stats['frames'] == 5 and stats['persons'] > 0
    video = load_posetrack_video(tmp_path / '000001_mpiinew_test.json')
    assert len(video.frames) == 5 and video.is_prediction
    assert [f.frame_index for f in video.frames] == list(range(5))
    assert sum(f.num_persons for f in video.frames) == stats['persons']
    for f in video.frames:
        assert f.keypoints.shape[1:] == (17, 2) and np.isfinite(f.keypoints).all()
        assert len(set(f.track_ids.tolist())) == f.num_persons
    cap = cv2.VideoCapture(stats['video'])
    first = cv2.imread(str(folder / '000000.jpg'))
    n = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        assert frame.shape == first.shape
        n += 1
    assert n == 5


def test_track_tool_truncated_video_keeps_valid_json(pipeline_config, tmp_path):
    rng = np.random.default_rng(0)
    writer = cv2.VideoWriter(str(tmp_path / 'full.avi'), cv2.VideoWriter_fourcc(*'MJPG'), 10,
                             (96, 64))
    for _ in range(10):
        writer.write(rng.integers(0, 255, (64, 96, 3), dtype=np.uint8))
    writer.release()
    data = (tmp_path / 'full.avi').read_bytes()
    (tmp_path / 'cut.avi').write_bytes(data[:int(data.find(b'idx1') * 0.6)])
    with pytest.raises(SystemExit) as info:
        load_track_tool().main([str(tmp_path / 'cut.avi'), '--pipeline', pipeline_config,
                                '--out', str(tmp_path / 'out')])
    assert info.value.code == 1
    json_path = tmp_path / 'out' / 'cut.json'
    parsed = json.loads(json_path.read_text())  # what was written is valid JSON
    frames = len(parsed['images'])
    assert 0 < frames < 10
    assert len(load_posetrack_video(json_path).frames) == frames


def test_track_tool_zero_frames_and_mixed_folder(shared_data_root, pipeline_config, tmp_path):
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(SystemExit) as info:
        load_track_tool().main([str(empty), '--pipeline', pipeline_config, '--out',
                                str(tmp_path / 'out'), '--no-video'])
    assert info.value.code == 1
    mixed = tmp_path / 'mixed'
    shutil.copytree(shared_data_root / VIDEO, mixed)
    (mixed / 'notes.txt').write_text('x')
    with pytest.warns(UserWarning, match=r'skipping 2 entries .*notes\.txt'):
        stats = load_track_tool().main([str(mixed), '--pipeline', pipeline_config, '--out',
                                        str(tmp_path / 'out'), '--no-video', '--max-frames',
                                        '3'])
    assert stats['frames'] == 3 and stats['video'] is None

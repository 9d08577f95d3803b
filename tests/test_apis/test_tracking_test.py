"""run_tracking_test (tools/test.py on a video dataset): dataset -> pipeline -> PoseTrack metric.

With ground-truth boxes, an oracle pose stage that returns each box's ground-truth pose and an
oracle tracker that returns its ground-truth id, the whole chain must score mAP 100 and MOTA 100:
any mix-up of frames, persons, coordinates or ids on the way would show. A run with the random tiny models checks the detector path end to end.
"""
import json
import os.path as osp
from argparse import Namespace

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.structures import InstanceData

import plugins  # noqa: F401
from plugins.apis import run_tracking_test
from plugins.datasets.posetrack_json import load_posetrack_folder, load_posetrack_video
from plugins.registry import PIPELINES, POST_PROCESSORS, TRACKERS
from plugins.tracking.base_tracker import BaseTracker
from plugins.tracking.post_processor import BasePostProcessor
from plugins.tracking.track_edits import TrackEdits

K = 17


@pytest.fixture(scope='module')
def tiny_synthetic(tmp_path_factory):
    """Two short held-out synthetic videos (the data helper's generator)."""
    import importlib.util
    root = tmp_path_factory.mktemp('synth')
    spec = importlib.util.spec_from_file_location(
        'make_synthetic', osp.join(osp.dirname(__file__), '../../tools/dataset_converters/'
                                   'make_synthetic.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(['--out', str(root), '--videos', '0', '--val-videos', '2', '--frames', '6',
                 '--width', '160', '--height', '120', '--min-persons', '2', '--max-persons',
                 '3', '--workers', '1'])
    return root


@PIPELINES.register_module(force=True)
class OraclePoses:
    """Returns the ground-truth pose of each given ground-truth box (looked up by its bytes)."""

    dataset_meta = None

    def __init__(self, ann_folder):
        from mmpose.datasets.datasets.utils import parse_pose_metainfo
        self.dataset_meta = parse_pose_metainfo(
            dict(from_file='configs/_base_/datasets/posetrack18.py'))
        self.lookup = {}
        for video in load_posetrack_folder(ann_folder):
            for fr in video.frames:
                for box, kpt, vis in zip(fr.bboxes, fr.keypoints, fr.keypoint_scores):
                    # a perfect model that reports unseen joints as missing: (0, 0), score 0
                    kpt = np.where(vis[:, None] > 0, kpt, 0)
                    self.lookup[box.astype(np.float32).tobytes()] = (kpt, vis)

    def __call__(self, frame, bboxes, bbox_scores=None, crop_bboxes=None):
        b = np.asarray(bboxes, np.float32).reshape(-1, 4)
        found = [self.lookup[box.tobytes()] for box in b]
        return InstanceData(
            keypoints=np.asarray([f[0] for f in found], np.float32).reshape(-1, K, 2),
            keypoint_scores=np.asarray([f[1] for f in found], np.float32).reshape(-1, K),
            bboxes=b, bbox_scores=np.ones(len(b), np.float32))


@TRACKERS.register_module(force=True)
class OracleTracker(BaseTracker):
    """Gives each pose the ground-truth track id of its box (looked up by the box's bytes)."""

    def __init__(self, ann_folder):
        super().__init__()
        self.ids = {}
        for video in load_posetrack_folder(ann_folder):
            for fr in video.frames:
                for box, tid in zip(fr.bboxes, fr.track_ids):
                    self.ids[box.astype(np.float32).tobytes()] = int(tid)

    def similarity(self, tracks, instances, frame):
        raise NotImplementedError

    def update(self, frame, instances):
        out = instances.clone()
        out.track_ids = np.array([self.ids[b.astype(np.float32).tobytes()]
                                  for b in instances.bboxes], np.int64)
        return out


def tracking_cfg(root, work_dir, **pipeline):
    cfg = Config.fromfile('configs/demo/track_synthetic.py')
    cfg.test_dataloader.dataset.data_root = str(root)
    cfg.work_dir = str(work_dir)
    for key, value in pipeline.items():  # replace whole stages (update() would merge)
        cfg.tracking_pipeline[key] = value
    return cfg


def test_oracle_poses_on_gt_boxes_score_perfectly(tiny_synthetic, tmp_path):
    cfg = tracking_cfg(
        tiny_synthetic, tmp_path, detector=None, pose_nms=None,
        pose_estimator=dict(type='OraclePoses',
                            ann_folder=str(tiny_synthetic / 'annotations/val')),
        tracker=dict(type='OracleTracker', ann_folder=str(tiny_synthetic / 'annotations/val')))
    metrics = run_tracking_test(cfg, Namespace(checkpoint='none', show_dir=None))
    assert metrics['posetrack/mAP'] == pytest.approx(100.0)
    assert metrics['posetrack/MOTA'] == pytest.approx(100.0)
    assert metrics['posetrack/IDSW'] == 0
    # one PoseTrack JSON of predictions per video, same frames as the ground truth
    gt = {v.name: v for v in load_posetrack_folder(tiny_synthetic / 'annotations/val')}
    for name, video in gt.items():
        pred = load_posetrack_video(tmp_path / 'tracking_results' / f'{name}.json')
        assert len(pred.frames) == len(video.frames)
        assert sum(f.num_persons for f in pred.frames) == sum(f.num_persons for f in video.frames)
    saved = json.loads((tmp_path / 'tracking_metrics.json').read_text())
    assert saved['posetrack/mAP'] == pytest.approx(100.0)


def test_random_tiny_models_run_the_detector_path(tiny_synthetic, tmp_path):
    cfg = tracking_cfg(tiny_synthetic, tmp_path)
    cfg.tracking_pipeline.detector.checkpoint = None
    cfg.tracking_pipeline.pose_estimator.checkpoint = None
    metrics = run_tracking_test(cfg, Namespace(checkpoint='none', show_dir='vis'))
    # untrained models: a valid, poor result
    assert 0.0 <= metrics['posetrack/mAP'] < 30.0
    assert osp.isfile(tmp_path / 'vis' / f'{sorted(gt_names(tiny_synthetic))[0]}.mp4')


def gt_names(root):
    return [p.stem for p in (root / 'annotations/val').glob('*.json')]


def test_missing_pose_checkpoint_is_named(tiny_synthetic, tmp_path):
    cfg = tracking_cfg(tiny_synthetic, tmp_path)
    with pytest.raises(FileNotFoundError, match='no_such.pth'):
        run_tracking_test(cfg, Namespace(checkpoint=str(tmp_path / 'no_such.pth'),
                                         show_dir=None))


@TRACKERS.register_module(force=True)
class OfflineOracleTracker(OracleTracker):
    """Online: a new id in every frame (ground-truth id + 1000 x frame, so tracking alone
    scores a switch per person-frame); the offline pass (:class:`ModuloIds`, a post-processor)
    restores the ground-truth ids."""

    def update(self, frame, instances):
        self.frame_id += 1
        out = super().update(frame, instances)
        out.track_ids = out.track_ids + 1000 * self.frame_id
        return out


@POST_PROCESSORS.register_module(force=True)
class ModuloIds(BasePostProcessor):
    """Whole-video pass of the oracle: final id = online id modulo ``modulo``."""

    def __init__(self, modulo: int = 1000) -> None:
        self.modulo = modulo
        self.reset()

    def reset(self):
        self.ids = set()

    def observe(self, index, tracked, ctx=None):
        self.ids.update(int(t) for t in np.asarray(tracked.track_ids).reshape(-1))

    def finalize(self, edits, read_frame=None):
        out = edits.remap({edits.final_id(t): t % self.modulo for t in self.ids
                           if t % self.modulo != t})
        self.reset()
        return out


def _offline_cfg(root, work_dir):
    folder = str(root / 'annotations/val')
    return tracking_cfg(root, work_dir, detector=None, pose_nms=None,
                        pose_estimator=dict(type='OraclePoses', ann_folder=folder),
                        tracker=dict(type='OfflineOracleTracker', ann_folder=folder),
                        post_processors=[dict(type='ModuloIds', modulo=1000)])


def test_offline_tracker_stage_is_applied_before_scoring_and_writing(tiny_synthetic, tmp_path):
    """A tracker's whole-video pass (e.g. CorrespondenceTracker's track merging) gives the ids
    that are scored and written: without it, MOTA would be far below 100."""
    metrics = run_tracking_test(_offline_cfg(tiny_synthetic, tmp_path),
                                Namespace(checkpoint='none', show_dir=None))
    assert metrics['posetrack/MOTA'] == pytest.approx(100.0)
    assert metrics['posetrack/IDSW'] == 0
    for video in load_posetrack_folder(tiny_synthetic / 'annotations/val'):
        pred = load_posetrack_video(tmp_path / 'tracking_results' / f'{video.name}.json')
        assert sorted(np.concatenate([f.track_ids for f in pred.frames]).tolist()) == \
            sorted(np.concatenate([f.track_ids for f in video.frames]).tolist())


def test_run_video_finalizes_unless_told_not_to(tiny_synthetic, tmp_path):
    from plugins.apis.tracking_test import build_tracking_pipeline
    pipeline = build_tracking_pipeline(_offline_cfg(tiny_synthetic, tmp_path))
    assert pipeline.has_offline_stage
    video = load_posetrack_folder(tiny_synthetic / 'annotations/val')[0]
    images = [np.zeros((120, 160, 3), np.uint8)] * len(video.frames)
    boxes = [f.bboxes for f in video.frames]
    seen = []
    final = pipeline.run_video(images, bboxes=boxes,
                               callback=lambda i, img, res: seen.append(res.track_ids.copy()))
    online = pipeline.run_video(images, bboxes=boxes, finalize=False)
    for i, frame in enumerate(video.frames):
        assert final[i].track_ids.tolist() == frame.track_ids.tolist()
        assert online[i].track_ids.tolist() == (frame.track_ids + 1000 * i).tolist()
        assert seen[i].tolist() == online[i].track_ids.tolist()  # callbacks see online ids


def test_track_tool_rewrites_the_json_after_an_offline_stage(tmp_path):
    """tools/track.py: the JSON written frame by frame is replaced by the final ids."""
    from test_track_tool_shared import load_track_tool

    class FakePipeline:
        dataset_meta = dict(keypoint_id2name={i: f'j{i}' for i in range(K)}, num_keypoints=K)
        def reset(self):
            self.t = -1

        def step(self, frame):
            self.t += 1
            return InstanceData(keypoints=np.full((2, K, 2), 5.0, np.float32),
                                keypoint_scores=np.ones((2, K), np.float32),
                                bboxes=np.array([[0, 0, 9, 9], [10, 10, 19, 19]], np.float32),
                                bbox_scores=np.ones(2, np.float32),
                                track_ids=np.array([10 * self.t, 10 * self.t + 1]))

        def finalize_edits(self):
            return TrackEdits().remap({10 * t + j: j for t in range(1, self.t + 1)
                                       for j in range(2)})

    import cv2
    folder = tmp_path / 'frames'
    folder.mkdir()
    for i in range(4):
        cv2.imwrite(str(folder / f'{i:03d}.png'), np.zeros((32, 32, 3), np.uint8))
    stats = load_track_tool().track(str(folder), FakePipeline(), str(tmp_path / 'out'),
                                    write_video=False)
    assert stats['frames'] == 4 and stats['tracks'] == 2
    pred = load_posetrack_video(stats['json'])
    assert [f.track_ids.tolist() for f in pred.frames] == [[0, 1]] * 4

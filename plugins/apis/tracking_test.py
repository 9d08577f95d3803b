"""Video pose-tracking evaluation for ``tools/test.py`` (configs with ``tracking_pipeline``),
sharded over the ranks of a distributed launch."""
import os
import os.path as osp
import time
from typing import Any, Dict, List, Optional

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.logging import MMLogger

from .frame_readers import FrameReadError

NO_CHECKPOINT = ('', 'none', 'None', None)


def build_tracking_pipeline(cfg: Config, pose_checkpoint: Optional[str] = None,
                            device: Optional[str] = None):
    """Build ``cfg.tracking_pipeline``, optionally with another pose-model checkpoint.

    Args:
        cfg: a config with ``tracking_pipeline``.
        pose_checkpoint: replaces ``tracking_pipeline.pose_estimator.checkpoint`` unless it is
            ``None`` / ``'none'``.
        device: put every model-holding stage (and shared model) on this device.

    Returns:
        The built :class:`PoseTrackingPipeline`.
    """
    from plugins.registry import TRACKING_PIPELINES
    pipeline_cfg = cfg.tracking_pipeline
    pipeline_cfg = pipeline_cfg.to_dict() if hasattr(pipeline_cfg, 'to_dict') else dict(
        pipeline_cfg)
    if pose_checkpoint not in NO_CHECKPOINT:
        if not osp.isfile(pose_checkpoint) and '://' not in str(pose_checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {pose_checkpoint}')
        pipeline_cfg['pose_estimator'] = dict(pipeline_cfg['pose_estimator'],
                                              checkpoint=pose_checkpoint)
    if device:
        pipeline_cfg = with_device(pipeline_cfg, device)
    return TRACKING_PIPELINES.build(pipeline_cfg)


def with_device(pipeline_cfg: dict, device: str) -> dict:
    """``pipeline_cfg`` with ``device`` set on the pipeline and on every (nested) stage and
    shared-model config that names a device of its own (the others get the pipeline's)."""
    return dict(_set_device(pipeline_cfg, device), device=device)


def _set_device(value, device):
    if isinstance(value, dict):
        return {k: device if k == 'device' else _set_device(v, device)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_set_device(v, device) for v in value]
    return value


def shard(items: List[Any], rank: int, world_size: int) -> List[Any]:
    """The items of ``rank`` (every ``world_size``-th, starting at ``rank``)."""
    return items[rank::world_size]


def run_tracking_test(cfg: Config, args: Any) -> Dict[str, float]:
    """Track every video of ``cfg.test_dataloader.dataset`` and evaluate with ``test_evaluator``.

    The dataset is a video sequence dataset (``PoseTrackVideoDataset``; built in
    ``mode='video'``). Every video goes through :class:`~.video_runner.VideoRunner` (pipeline
    reset per video; per-video post-processors applied) with a JSON sink, an evaluator sink and
    optionally a renderer. When ``tracking_pipeline.detector`` is ``None`` the ground-truth
    person boxes of each frame replace the detector (frames without annotations then have
    nobody).

    Under a distributed launch (``mmengine.dist`` initialised, e.g. ``tools/test.py
    --launcher pytorch|slurm``) rank r tracks videos r, r + W, ... of W ranks; the scored
    frames are gathered and the metrics computed once, in the order of one process, so they are
    identical to a single-process run.

    Writes into ``cfg.work_dir``: ``tracking_results/{video}.json`` (PoseTrack18 predictions,
    scorable by ``tools/eval_posetrack.py``), ``tracking_metrics.json``, and with
    ``args.show_dir`` a rendered video per sequence.

    Args:
        cfg: the test config (``tracking_pipeline``, ``test_dataloader``, ``test_evaluator``,
            ``work_dir``).
        args: ``tools/test.py``'s arguments; uses ``checkpoint`` (``'none'`` = the pipeline's
            own checkpoints, else the pose model's checkpoint), ``show_dir`` and ``device``.

    Returns:
        The evaluator's metrics, e.g. ``posetrack/mAP`` and ``posetrack/MOTA``.
    """
    from mmengine.dist import all_gather_object, get_dist_info, is_main_process
    from mmengine.evaluator import Evaluator
    from mmengine.registry import init_default_scope

    from plugins.registry import DATASETS
    from .video_runner import (EvaluatorSink, PoseTrackJsonSink, ProgressSink, RenderSink,
                               VideoInfo, VideoRunner, write_metrics)

    rank, world_size = get_dist_info()
    work_dir = cfg.get('work_dir') or './work_dirs/tracking_test'
    os.makedirs(work_dir, exist_ok=True)
    logger = MMLogger.get_instance(
        f'tracking_test_{time.time_ns()}',
        log_file=osp.join(work_dir, f'tracking_test_{time.strftime("%Y%m%d_%H%M%S")}.log'))
    init_default_scope(cfg.get('default_scope', 'mmpose'))  # the dataset's and metric's scope
    dataset_cfg = cfg.test_dataloader.dataset.copy()
    dataset_cfg['mode'] = 'video'
    dataset = DATASETS.build(dataset_cfg)
    evaluator = Evaluator(cfg.test_evaluator)
    if len(dataset) == 0:
        raise ValueError(f'the test dataset ({dataset_cfg.get("ann_file")}) has no videos')
    evaluator.dataset_meta = dataset.metainfo
    pipeline = build_tracking_pipeline(cfg, getattr(args, 'checkpoint', None),
                                       getattr(args, 'device', None))
    use_gt_boxes = pipeline.detector is None
    result_dir = osp.join(work_dir, 'tracking_results')
    show_dir = getattr(args, 'show_dir', None)
    videos = shard(list(range(len(dataset))), rank, world_size)
    num_frames = sum(dataset.num_frames(v) for v in range(len(dataset)))
    my_frames = sum(dataset.num_frames(v) for v in videos)
    logger.info(f'rank {rank}/{world_size}: tracking {len(videos)} of {len(dataset)} videos '
                f'({my_frames} of {num_frames} frames) with '
                f'{"ground-truth boxes" if use_gt_boxes else "the detector"}')
    scored = _Collector()
    progress = ProgressSink(total=my_frames, desc='tracking')
    sinks = [PoseTrackJsonSink(result_dir, flush_every=25), EvaluatorSink(scored), progress]
    if show_dir:
        sinks.append(RenderSink(osp.join(work_dir, show_dir), kpt_thr=0.3))
    runner = VideoRunner(pipeline, sinks)
    t0 = time.perf_counter()
    for v in videos:
        video = dataset.get_video(v)
        scored.video = v
        runner.run(_video_frames(video, use_gt_boxes),
                   video=VideoInfo(name=video['video_name'], num_frames=video['num_frames'],
                                   dataset_meta=pipeline.dataset_meta))
    progress.finish()
    elapsed = time.perf_counter() - t0
    logger.info(f'rank {rank}: tracked {my_frames} frames in {elapsed:.1f} s '
                f'({my_frames / max(elapsed, 1e-9):.2f} frames/s); predictions in {result_dir}')
    parts = all_gather_object(scored.by_video) if world_size > 1 else [scored.by_video]
    if is_main_process():  # one process scores, in the single-process order
        merged: Dict[int, list] = {}
        for part in parts:
            merged.update(part)
        for v in sorted(merged):
            for sample in merged[v]:
                evaluator.process(data_samples=[sample])
    metrics = evaluator.evaluate(num_frames)
    if is_main_process():
        write_metrics(osp.join(work_dir, 'tracking_metrics.json'), metrics)
        logger.info('metrics: ' + ', '.join(
            f'{k}: {v:.4f}' if isinstance(v, float) else f'{k}: {v}' for k, v in metrics.items()))
    return metrics


class _Collector:
    """Stands in for the evaluator in :class:`EvaluatorSink`: keeps each video's scored
    samples (ground truth + final poses) until they are gathered."""

    def __init__(self) -> None:
        self.by_video: Dict[int, list] = {}
        self.video = -1

    def process(self, data_samples) -> None:
        self.by_video.setdefault(self.video, []).extend(data_samples)


def _video_frames(video: dict, use_gt_boxes: bool):
    """The frames of a dataset video as :class:`VideoFrame` records (read one at a time)."""
    from .video_runner import VideoFrame
    name = video['video_name']
    for frame in video['frames']:
        image = cv2.imread(frame['img_path'], cv2.IMREAD_COLOR)
        if image is None:
            raise FrameReadError(f'{frame["img_path"]}: cannot read frame '
                                 f'{frame["frame_index"]} of video {name}')
        boxes = scores = None
        if use_gt_boxes:
            visible = np.isfinite(frame['bbox']).all(axis=1)
            boxes, scores = frame['bbox'][visible], frame['bbox_score'][visible]
        h, w = image.shape[:2]
        info = dict(image_id=frame['img_id'], file_name=frame['img_path'],
                    frame_index=frame['frame_index'], width=w, height=h)
        yield VideoFrame(image=image, info=info, bboxes=boxes, bbox_scores=scores,
                         sample=frame)

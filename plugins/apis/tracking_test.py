"""Video pose-tracking evaluation for ``tools/test.py`` (configs with ``tracking_pipeline``)."""
import json
import os
import os.path as osp
import time
from typing import Any, Dict, Optional

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.logging import MMLogger

from .frame_readers import FrameReadError

NO_CHECKPOINT = ('', 'none', 'None', None)


def build_tracking_pipeline(cfg: Config, pose_checkpoint: Optional[str] = None):
    """Build ``cfg.tracking_pipeline``, optionally with another pose-model checkpoint.

    Args:
        cfg: a config with ``tracking_pipeline``.
        pose_checkpoint: replaces ``tracking_pipeline.pose_estimator.checkpoint`` unless it is
            ``None`` / ``'none'``.

    Returns:
        The built :class:`PoseTrackingPipeline`.
    """
    from plugins.registry import PIPELINES
    pipeline_cfg = cfg.tracking_pipeline
    pipeline_cfg = pipeline_cfg.to_dict() if hasattr(pipeline_cfg, 'to_dict') else dict(
        pipeline_cfg)
    if pose_checkpoint not in NO_CHECKPOINT:
        if not osp.isfile(pose_checkpoint) and '://' not in str(pose_checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {pose_checkpoint}')
        pipeline_cfg['pose_estimator'] = dict(pipeline_cfg['pose_estimator'],
                                              checkpoint=pose_checkpoint)
    pipeline_cfg.setdefault('_scope_', PIPELINES.scope)
    return PIPELINES.build(pipeline_cfg)


def run_tracking_test(cfg: Config, args: Any) -> Dict[str, float]:
    """Track every video of ``cfg.test_dataloader.dataset`` and evaluate with ``test_evaluator``.

    The dataset is a video sequence dataset (``PoseTrackVideoDataset``; it is built in
    ``mode='video'``). Every frame of every video goes through the pipeline
    (:meth:`PoseTrackingPipeline.step`) in order, the pipeline is reset between videos, and
    each frame's ground truth plus tracked poses go to the evaluator (``PoseTrackMetric``: mAP and
    MOTA). When ``tracking_pipeline.detector`` is ``None`` the ground-truth person boxes of each
    frame replace the detector (frames without annotations then have nobody).

    Writes into ``cfg.work_dir``: ``tracking_results/{video}.json`` (PoseTrack18 predictions,
    scorable by ``tools/eval_posetrack.py``), ``tracking_metrics.json``, and with
    ``args.show_dir`` a rendered video per sequence.

    Args:
        cfg: the test config (``tracking_pipeline``, ``test_dataloader``, ``test_evaluator``,
            ``work_dir``).
        args: ``tools/test.py``'s arguments; uses ``checkpoint`` (``'none'`` = the pipeline's
            own checkpoints, else the pose model's checkpoint), ``show_dir`` and ``show``.

    Returns:
        The evaluator's metrics, e.g. ``posetrack/mAP`` and ``posetrack/MOTA``.
    """
    from mmengine.evaluator import Evaluator
    from mmengine.registry import DefaultScope, init_default_scope
    from tqdm import tqdm

    from plugins.datasets.posetrack_json import PoseTrackJsonWriter
    from plugins.registry import DATASETS
    from .pose_renderer import PoseTrackRenderer
    from .tracked_json import add_tracked_frame, rewrite_tracked_json
    from .video_writer import VideoWriter

    work_dir = cfg.get('work_dir') or './work_dirs/tracking_test'
    os.makedirs(work_dir, exist_ok=True)
    logger = MMLogger.get_instance(
        f'tracking_test_{time.time_ns()}',
        log_file=osp.join(work_dir, f'tracking_test_{time.strftime("%Y%m%d_%H%M%S")}.log'))
    scope = cfg.get('default_scope', 'mmpose')
    init_default_scope(scope)
    dataset_cfg = cfg.test_dataloader.dataset.copy()
    dataset_cfg['mode'] = 'video'
    with DefaultScope.overwrite_default_scope(scope):  # the models below switch the scope
        dataset = DATASETS.build(dataset_cfg)
        evaluator = Evaluator(cfg.test_evaluator)
    if len(dataset) == 0:
        raise ValueError(f'the test dataset ({dataset_cfg.get("ann_file")}) has no videos')
    evaluator.dataset_meta = dataset.metainfo
    pipeline = build_tracking_pipeline(cfg, getattr(args, 'checkpoint', None))
    use_gt_boxes = pipeline.detector is None
    from .posetrack_categories import keypoint_categories
    categories = keypoint_categories(pipeline.dataset_meta)
    result_dir = osp.join(work_dir, 'tracking_results')
    show_dir = getattr(args, 'show_dir', None)
    renderer = PoseTrackRenderer(pipeline.dataset_meta) if show_dir else None
    num_frames = sum(dataset.num_frames(v) for v in range(len(dataset)))
    logger.info(f'tracking {len(dataset)} videos ({num_frames} frames) with '
                f'{"ground-truth boxes" if use_gt_boxes else "the detector"}')
    bar = tqdm(total=num_frames, unit='frame', desc='tracking', dynamic_ncols=True)
    t0 = time.perf_counter()
    for v in range(len(dataset)):
        video = dataset.get_video(v)
        name = video['video_name']
        pipeline.reset()
        video_out = (VideoWriter(osp.join(work_dir, show_dir, f'{name}.mp4'))
                     if show_dir else None)
        json_path = osp.join(result_dir, f'{name}.json')
        samples, infos, results = [], [], []
        with PoseTrackJsonWriter(json_path, is_prediction=True, categories=categories,
                                 flush_every=25) as writer:
            for frame in video['frames']:
                image = cv2.imread(frame['img_path'], cv2.IMREAD_COLOR)
                if image is None:
                    raise FrameReadError(f'{frame["img_path"]}: cannot read frame '
                                         f'{frame["frame_index"]} of video {name}')
                boxes = scores = None
                if use_gt_boxes:
                    visible = np.isfinite(frame['bbox']).all(axis=1)
                    boxes, scores = frame['bbox'][visible], frame['bbox_score'][visible]
                result = pipeline.step(image, bboxes=boxes, bbox_scores=scores)
                h, w = image.shape[:2]
                info = dict(image_id=frame['img_id'], file_name=frame['img_path'],
                            frame_index=frame['frame_index'], width=w, height=h)
                add_tracked_frame(writer, info, result)
                samples.append(frame)
                infos.append(info)
                results.append(result)
                if video_out is not None:
                    video_out.write(renderer.render(image, result))
                bar.update(1)
        if pipeline.has_offline_stage:  # e.g. track merging: final ids for the whole video
            results = pipeline.finalize(results)
            rewrite_tracked_json(json_path, infos, results, categories)
        for frame, result in zip(samples, results):
            pred = dict(keypoints=result.keypoints, keypoint_scores=result.keypoint_scores,
                        track_ids=result.track_ids)
            evaluator.process(data_samples=[dict(frame, pred_instances=pred)])
        if video_out is not None:
            video_out.close()
    bar.close()
    elapsed = time.perf_counter() - t0
    logger.info(f'tracked {num_frames} frames in {elapsed:.1f} s '
                f'({num_frames / max(elapsed, 1e-9):.2f} frames/s); predictions in {result_dir}')
    metrics = evaluator.evaluate(num_frames)
    with open(osp.join(work_dir, 'tracking_metrics.json'), 'w') as f:
        json.dump({k: _json_number(v) for k, v in metrics.items()}, f, indent=2)
    logger.info('metrics: ' + ', '.join(f'{k}: {v:.4f}' if isinstance(v, float) else f'{k}: {v}'
                                         for k, v in metrics.items()))
    return metrics


def _json_number(value: Any) -> Any:
    """A metric value for strict JSON (NaN/inf, e.g. MOTP without matches, become null)."""
    if np.isscalar(value):
        value = float(value)
        return value if np.isfinite(value) else None
    return value

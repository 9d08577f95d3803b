"""PoseTrack pose-estimation AP and tracking MOTA as an mmengine metric (``test_evaluator``)."""
import os.path as osp
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from plugins.datasets.posetrack_json import (VideoAnnotation, dump_posetrack_video,
                                             frame_from_record, pred_frame_from_records)
from plugins.registry import METRICS
from .functional import METRICS as EVAL_METRICS
from .functional import evaluate_posetrack, keypoint_names_from_metainfo
from .functional.flatten_videos import MODES
from .posetrack_data_sample import frame_record_from_sample
from .posetrack_gt_folder import frames_with_ground_truth, prediction_record_from_sample


@METRICS.register_module()
class PoseTrackMetric(BaseMetric):
    """PoseTrack multi-person pose estimation (per-joint AP) and tracking (MOTA) metric.

    Computes exactly what the official PoseTrack evaluation (``poseval``) defines, see
    :func:`plugins.evaluation.functional.evaluate_posetrack`; ``mode='poseval'`` also
    reproduces its defects (``docs/evaluation.md``).

    ``process`` takes one data sample per frame carrying the ground truth and the tracked
    predictions (contract: :mod:`plugins.evaluation.posetrack_data_sample`). Several samples of
    the same frame (e.g. one per person crop) are merged: their predictions are concatenated,
    the ground truth of the first one is used.

    Top-down test sets (one sample per person crop, e.g. mmpose's ``PoseTrack18Dataset`` in
    ``topdown`` mode) set ``gt_dir``: the samples then only give predictions (``img_id`` /
    ``img_path`` + ``pred_instances``), and the ground truth of every frame -- all its persons,
    head boxes, ignore regions -- is read from the PoseTrack18 per-video files in ``gt_dir``.
    Frames of a predicted video that got no prediction count as misses; videos without any
    prediction are left out with a warning.

    Args:
        mode: ``'default'`` (correct values) or ``'poseval'`` (the official tool's numbers).
        joint_names: Keypoints to score; default: the PoseTrack joints found by name in the
            dataset metainfo.
        keypoint_names: Names of the K keypoints when the runner gives no ``dataset_meta``.
        dist_thresh: PCKh threshold in head sizes.
        outfile_prefix: If set, the predictions are also written as PoseTrack18 JSON files
            ``{outfile_prefix}/{video}.json`` (scorable by ``tools/eval_posetrack.py``).
        gt_dir: Folder of PoseTrack18 per-video ground-truth files (e.g.
            ``data/posetrack18/annotations/val``) for per-person (top-down) samples; ``None``:
            the samples carry whole-frame ground truth.
        head_size_fallback: ``'head_segment'`` derives missing head boxes from the head
            joints (e.g. the Bonn PoseTrack data); ``None`` makes them an error.
        collect_device: ``'cpu'`` or ``'gpu'`` (results of all ranks are collected there).
        prefix: Prefix of the metric names (default ``'posetrack'``).

    Returns (``compute_metrics``):
        ``AP_Head`` ... ``AP_Ankle``, ``mAP``, ``MOTA_Head`` ... ``MOTA_Ankle``, ``MOTA``,
        ``MOTP``, ``Precision``, ``Recall``, ``IDSW`` (tracking keys only with track ids).
    """

    default_prefix: Optional[str] = 'posetrack'

    def __init__(self, mode: str = 'default', joint_names: Optional[Sequence[str]] = None,
                 keypoint_names: Optional[Sequence[str]] = None, dist_thresh: float = 0.5,
                 outfile_prefix: Optional[str] = None, gt_dir: Optional[str] = None,
                 head_size_fallback: Optional[str] = None,
                 metrics: Sequence[str] = ('map', 'mota'), collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if mode not in MODES:
            raise ValueError(f'PoseTrackMetric: mode must be one of {MODES}, got {mode!r}')
        self.mode = mode
        self.joint_names = list(joint_names) if joint_names is not None else None
        self.keypoint_names = list(keypoint_names) if keypoint_names is not None else None
        self.dist_thresh = float(dist_thresh)
        self.outfile_prefix = outfile_prefix
        self.gt_dir = gt_dir
        self.head_size_fallback = head_size_fallback
        self.metrics = [str(m).lower() for m in metrics]
        unknown = sorted(set(self.metrics) - set(EVAL_METRICS))
        if unknown:
            raise ValueError(f'PoseTrackMetric: unknown metrics {unknown}; choose from '
                             f'{list(EVAL_METRICS)}')
        self.last_result = None

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Store the ground truth and predictions of each frame (numpy arrays).

        Args:
            data_batch: Unused.
            data_samples: One data sample per frame (see the class doc).
        """
        read = prediction_record_from_sample if self.gt_dir else frame_record_from_sample
        for sample in data_samples:
            self.results.append(read(sample))

    def _names(self, k: int, fallback: Optional[List[str]] = None) -> List[str]:
        if self.keypoint_names is not None:
            names = self.keypoint_names
        elif self.dataset_meta:
            names = keypoint_names_from_metainfo(self.dataset_meta)
        elif fallback:
            names = fallback
        else:
            raise ValueError('PoseTrackMetric: keypoint names unknown (no dataset_meta); set '
                             'keypoint_names=[...] in the metric config')
        if len(names) != k:
            raise ValueError(f'PoseTrackMetric: {len(names)} keypoint names for {k} keypoints')
        return list(names)

    @staticmethod
    def _videos(results: List[dict], k: int) -> tuple:
        """Group frame records into ground-truth and predicted videos (frames sorted), with
        the adapter of :mod:`plugins.datasets.posetrack_json.adapters`."""
        by_video: Dict[str, Dict[int, List[dict]]] = defaultdict(dict)
        for rec in results:
            by_video[rec['video']].setdefault(rec['frame_index'], []).append(rec)
        gts, preds = [], []
        for name in sorted(by_video):
            frames = [by_video[name][fi] for fi in sorted(by_video[name])]
            gts.append(VideoAnnotation(name=name, frames=[frame_from_record(recs[0], k)
                                                          for recs in frames]))
            preds.append(VideoAnnotation(name=name, frames=[pred_frame_from_records(recs, k)
                                                            for recs in frames],
                                         is_prediction=True))
        return gts, preds

    def _frames_from_gt_dir(self, predictions: List[dict], logger: MMLogger) -> tuple:
        """Whole-frame records from per-person predictions + the files in ``gt_dir``."""
        ks = {r['keypoints'].shape[1] for r in predictions if len(r['keypoints'])}
        if len(ks) > 1:
            raise ValueError(f'PoseTrackMetric: predictions with different keypoint counts {ks}')
        if not ks:
            raise ValueError('PoseTrackMetric: every processed sample has zero predictions')
        samples, skipped, names = frames_with_ground_truth(predictions, self.gt_dir, ks.pop())
        if skipped:
            logger.warning(f'PoseTrackMetric: {len(skipped)} videos of {self.gt_dir} have no '
                           f'prediction and are not evaluated: {skipped[:5]}')
        return [frame_record_from_sample(s) for s in samples], names

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Evaluate all collected frames.

        Args:
            results: Frame records from :meth:`process` (all ranks).

        Returns:
            The flat metric dict (see the class doc).
        """
        logger = MMLogger.get_current_instance()
        if not results:
            raise ValueError('PoseTrackMetric: no frames were processed')
        gt_names = None
        if self.gt_dir:
            results, gt_names = self._frames_from_gt_dir(results, logger)
        ks = {r['gt_keypoints'].shape[1] for r in results} | \
            {r['pred_keypoints'].shape[1] for r in results}
        ks.discard(0)
        if len(ks) > 1:
            raise ValueError(f'PoseTrackMetric: frames with different keypoint counts {ks}')
        names = self._names(ks.pop() if ks else 0, gt_names)
        if gt_names and list(gt_names) != list(names):
            raise ValueError(f'PoseTrackMetric: the keypoints of the files in {self.gt_dir} '
                             f'({list(gt_names)}) are not those of the predictions ({names}); '
                             'the ground truth would be compared joint by joint in the wrong '
                             'order')
        gts, preds = self._videos(results, len(names))
        if self.outfile_prefix:
            for video in preds:
                video.categories[0]['keypoints'] = list(names)
                dump_posetrack_video(video, osp.join(self.outfile_prefix, f'{video.name}.json'))
            logger.info(f'PoseTrack predictions written to {self.outfile_prefix}/')
        result = evaluate_posetrack(gts, preds, metainfo=names, joint_names=self.joint_names,
                                    mode=self.mode, dist_thresh=self.dist_thresh,
                                    head_size_fallback=self.head_size_fallback,
                                    metrics=self.metrics)
        self.last_result = result
        logger.info('\n' + result.format_tables())
        return {k: float(v) for k, v in result.summary().items()}

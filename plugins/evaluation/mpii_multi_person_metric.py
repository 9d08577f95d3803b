"""MPII multi-person evaluation: per-joint AP with PCKh@0.5 matching, after a pose NMS.

The multi-person protocol of MPII Human Pose (Pishchulin et al., DeepCut; the one RMPE's Table 1
and ablations report, and the one PoseTrack's AP was derived from): per image, predicted persons
are assigned to ground-truth persons greedily by PCKh (the fraction of the ground-truth person's
annotated joints predicted within 0.5 head sizes, head size = 0.6 x head-box diagonal); per
joint, all predicted joints of all images, ordered by their confidence, are true positives when
their person is assigned and the joint is within 0.5 head sizes; AP per joint, averaged into
Head / Shoulder / Elbow / Wrist / Hip / Knee / Ankle and the mean over the 14 scored joints
(pelvis and thorax are not scored).

The computation is the project's PoseTrack evaluation
(:func:`plugins.evaluation.functional.evaluate_posetrack`) with every image as one frame and no
track ids; this module only gathers the ground truth (mmpose's MPII annotation layout) and the
top-down predictions, and runs the configured pose NMS per image.
"""
import copy
import inspect
import json
import logging
import os.path as osp
from collections import OrderedDict, defaultdict
from types import SimpleNamespace
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmengine.structures import InstanceData

from plugins.evaluation.functional import evaluate_posetrack
from plugins.registry import METRICS, POSE_NMS

#: mmpose's MPII boxes and head sizes: head size = 0.6 x head-box diagonal (``SC_BIAS``).
MPII_HEAD_SIZE_FACTOR = 0.6


def mpii_image_id(image_name: str) -> int:
    """mmpose's MPII image id: the integer stem of the image file name (``'015601864.jpg'``)."""
    stem = osp.splitext(osp.basename(str(image_name)))[0]
    try:
        return int(stem)
    except ValueError:
        raise ValueError(f'MPII image name {image_name!r}: mmpose derives image ids from '
                         'integer file names (e.g. 015601864.jpg)') from None


def load_mpii_ground_truth(ann_file: str, headbox_file: Optional[str] = None) -> Dict[int, dict]:
    """Ground-truth persons of an mmpose MPII annotation file, grouped by image.

    Args:
        ann_file: mmpose's MPII JSON (a list of persons with ``image``, ``joints`` (K, 2),
            ``joints_vis`` (K,), ``center``, ``scale``). Each person needs a head box: a
            ``head_box`` field ``[x1, y1, x2, y2]`` (pixels), or ``headbox_file``.
        headbox_file: MPII's ``mpii_gt_val.mat`` (``headboxes_src`` of shape (2, 2, N), one
            box per person of ``ann_file`` in the same order), as mmpose's ``MpiiDataset``.

    Returns:
        ``{image_id: dict(image, keypoints (N, K, 2), visible (N, K) bool, head_bboxes (N, 4)
        xyxy)}``, in the coordinates of ``ann_file`` (as mmpose's ``MpiiDataset`` gives them to
        the model, so predictions are in the same frame; only head-box sizes are used).
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'MPII multi-person evaluation: ann_file {ann_file!r} not found')
    with open(ann_file) as f:
        anns = json.load(f)
    if not isinstance(anns, list):
        raise ValueError(f'{ann_file}: expected mmpose\'s MPII layout (a list of persons)')
    heads = None
    if headbox_file is not None:
        from scipy.io import loadmat
        if not osp.isfile(headbox_file):
            raise FileNotFoundError(f'MPII multi-person evaluation: headbox_file '
                                    f'{headbox_file!r} not found')
        src = np.asarray(loadmat(headbox_file)['headboxes_src'], np.float64)
        if src.ndim != 3 or src.shape[:2] != (2, 2) or src.shape[2] != len(anns):
            raise ValueError(f'{headbox_file}: headboxes_src must have shape (2, 2, '
                             f'{len(anns)}) for the {len(anns)} persons of {ann_file}, got '
                             f'{src.shape}')
        heads = np.transpose(src, (2, 0, 1)).reshape(-1, 4)  # (N, [x1, y1, x2, y2])
    per_image: Dict[int, dict] = OrderedDict()
    for i, a in enumerate(anns):
        for key in ('image', 'joints', 'joints_vis'):
            if key not in a:
                raise ValueError(f'{ann_file}: person {i} lacks "{key}"')
        if heads is not None:
            head = heads[i]
        elif 'head_box' in a:
            head = np.asarray(a['head_box'], np.float64).reshape(4)
        else:
            raise ValueError(f'{ann_file}: person {i} ({a["image"]}) has no "head_box" and no '
                             'headbox_file was given; PCKh needs head sizes')
        joints = np.asarray(a['joints'], np.float64)
        vis = np.asarray(a['joints_vis']).reshape(-1) > 0
        if joints.ndim != 2 or joints.shape[1] != 2 or len(vis) != len(joints):
            raise ValueError(f'{ann_file}: person {i}: joints must be (K, 2) with K joints_vis, '
                             f'got {joints.shape} and {len(vis)}')
        img_id = mpii_image_id(a['image'])
        entry = per_image.setdefault(img_id, dict(image=a['image'], keypoints=[], visible=[],
                                                  head_bboxes=[]))
        entry['keypoints'].append(joints)
        entry['visible'].append(vis)
        entry['head_bboxes'].append(head)
    for entry in per_image.values():
        entry['keypoints'] = np.stack(entry['keypoints'])
        entry['visible'] = np.stack(entry['visible'])
        entry['head_bboxes'] = np.stack(entry['head_bboxes'])
    return per_image


def evaluate_multi_person_pckh_ap(gt: Dict[int, dict], preds: Dict[int, dict],
                                  keypoint_names: Sequence[str],
                                  dist_thresh: float = 0.5):
    """Per-joint AP with PCKh matching over images.

    Args:
        gt: ``{image_id: dict(keypoints (N, K, 2), visible (N, K), head_bboxes (N, 4) xyxy)}``;
            every image of ``gt`` is evaluated (predictions on images outside it are an error).
        preds: ``{image_id: dict(keypoints (M, K, 2), keypoint_scores (M, K))}``; a missing
            image has no predictions.
        keypoint_names: the K names (the scored joints and groups are chosen by name).
        dist_thresh: PCKh threshold in head sizes.

    Returns:
        :class:`plugins.evaluation.functional.PoseTrackResult` (``ap_table()``: per-group AP
        and ``Total`` = mAP, in percent).
    """
    extra = sorted(set(preds) - set(gt))
    if extra:
        raise ValueError(f'MPII multi-person evaluation: predictions for images without ground '
                         f'truth: {extra[:5]}')
    k = len(keypoint_names)
    gt_frames, pred_frames = [], []
    for img_id, g in gt.items():
        gt_frames.append(SimpleNamespace(
            frame_index=len(gt_frames), keypoints=g['keypoints'],
            keypoint_scores=np.asarray(g['visible'], np.float64), track_ids=None,
            head_bboxes=g['head_bboxes'], ignore_regions=None, is_labeled=True))
        p = preds.get(img_id)
        if p is None:
            p = dict(keypoints=np.zeros((0, k, 2)), keypoint_scores=np.zeros((0, k)))
        pred_frames.append(SimpleNamespace(
            frame_index=len(pred_frames), keypoints=np.asarray(p['keypoints'], np.float64),
            keypoint_scores=np.asarray(p['keypoint_scores'], np.float64), track_ids=None))
    gt_video = SimpleNamespace(name='mpii', frames=gt_frames)
    pred_video = SimpleNamespace(name='mpii', frames=pred_frames)
    # no track ids on either side: the tracking part is skipped (it would log a warning)
    log = logging.getLogger('plugins.evaluation.functional.posetrack_evaluation')
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        return evaluate_posetrack([gt_video], [pred_video], metainfo=list(keypoint_names),
                                  dist_thresh=dist_thresh)
    finally:
        log.setLevel(level)


@METRICS.register_module()
class MpiiMultiPersonMetric(BaseMetric):
    """MPII multi-person AP (PCKh@0.5 matching) of a top-down model, after a pose NMS.

    Every test sample is one box (ground truth or detected) of one image; the poses of all boxes
    of an image go through ``pose_nms`` (e.g. ``ParametricPoseNMS``; ``None``: every pose is
    kept) and are evaluated against all annotated persons of the image
    (:func:`evaluate_multi_person_pckh_ap`). Predicted joints are ranked by their (merged)
    joint confidences, as in the MPII / PoseTrack protocol.

    Args:
        ann_file: mmpose's MPII annotation JSON of the evaluated split (the ground truth).
        headbox_file: ``mpii_gt_val.mat`` with the head boxes (else each person of
            ``ann_file`` needs a ``head_box`` field).
        pose_nms: config of a ``POSE_NMS`` component, or ``None``. A ``sigmas`` argument it
            accepts but the config leaves out is filled from the dataset metainfo.
        dist_thresh: PCKh threshold (head sizes).
        prefix: metric name prefix (``mpii_mp/mAP``, ``mpii_mp/AP_Head``, ...).
    """
    default_prefix = 'mpii_mp'

    def __init__(self, ann_file: str, headbox_file: Optional[str] = None,
                 pose_nms: Optional[dict] = None, dist_thresh: float = 0.5,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if pose_nms is not None and (not isinstance(pose_nms, dict) or 'type' not in pose_nms):
            raise ValueError(f'MpiiMultiPersonMetric: pose_nms must be None or a config dict '
                             f'with a type, got {pose_nms!r}')
        self.ann_file = ann_file
        self.headbox_file = headbox_file
        self.pose_nms_cfg = copy.deepcopy(dict(pose_nms)) if pose_nms is not None else None
        self.dist_thresh = float(dist_thresh)
        self._pose_nms = None

    def _build_pose_nms(self):
        if self.pose_nms_cfg is None:
            return None
        if self._pose_nms is None:
            cfg = copy.deepcopy(self.pose_nms_cfg)
            cls = POSE_NMS.get(cfg['type'])
            if cls is None:
                raise KeyError(f'MpiiMultiPersonMetric: {cfg["type"]!r} is not in POSE_NMS')
            if 'sigmas' in inspect.signature(cls).parameters and cfg.get('sigmas') is None:
                cfg['sigmas'] = np.asarray(self.dataset_meta['sigmas']).tolist()
            self._pose_nms = POSE_NMS.build(cfg)
        return self._pose_nms

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep each sample's pose, box and image id.

        Args:
            data_samples: packed top-down outputs with ``pred_instances`` (``keypoints``
                (1, K, 2), ``keypoint_scores`` (1, K), ``bboxes`` (1, 4) ``xyxy``,
                ``bbox_scores`` (1,)) and ``img_id``.
        """
        for i, s in enumerate(data_samples):
            pred = s['pred_instances']
            if 'img_id' not in s:
                raise KeyError('MpiiMultiPersonMetric: data samples need "img_id"')
            kpts = np.asarray(pred['keypoints'], np.float32)
            n = len(kpts)
            bboxes = np.asarray(pred['bboxes'], np.float32).reshape(n, 4) if 'bboxes' in pred \
                else np.concatenate([kpts.min(1), kpts.max(1)], 1)
            scores = np.asarray(pred['bbox_scores'], np.float32).reshape(n) \
                if 'bbox_scores' in pred else np.ones(n, np.float32)
            self.results.append(dict(
                img_id=int(s['img_id']), keypoints=kpts,
                keypoint_scores=np.asarray(pred['keypoint_scores'], np.float32).reshape(n, -1),
                bboxes=bboxes, bbox_scores=scores))

    def predictions_per_image(self, results: List[dict]) -> Dict[int, dict]:
        """The pose NMS per image: ``{image_id: dict(keypoints, keypoint_scores)}``."""
        nms = self._build_pose_nms()
        grouped = defaultdict(list)
        for r in results:
            grouped[r['img_id']].append(r)
        out = {}
        for img_id, rs in grouped.items():
            inst = InstanceData(
                keypoints=np.concatenate([r['keypoints'] for r in rs]),
                keypoint_scores=np.concatenate([r['keypoint_scores'] for r in rs]),
                bboxes=np.concatenate([r['bboxes'] for r in rs]),
                bbox_scores=np.concatenate([r['bbox_scores'] for r in rs]))
            if nms is not None:
                inst = nms(inst)
            out[img_id] = dict(keypoints=np.asarray(inst.keypoints),
                               keypoint_scores=np.asarray(inst.keypoint_scores))
        return out

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Per-group AP (percent) and ``mAP`` over the 14 scored joints."""
        gt = load_mpii_ground_truth(self.ann_file, self.headbox_file)
        names = [self.dataset_meta['keypoint_id2name'][k]
                 for k in range(len(self.dataset_meta['keypoint_id2name']))]
        res = evaluate_multi_person_pckh_ap(gt, self.predictions_per_image(results), names,
                                            self.dist_thresh)
        MMLogger.get_current_instance().info(
            'MPII multi-person AP (PCKh@%.2f matching):\n%s', self.dist_thresh,
            '  '.join(f'{k} {v:.1f}' for k, v in res.ap_table().items()))
        return {k: float(v) for k, v in res.summary().items() if not k.startswith('MOT')}

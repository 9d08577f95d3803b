"""Parametric pose NMS of RMPE (Fang et al., "Regional Multi-person Pose Estimation", ICCV 2017).

A person detector fires several boxes on one person, and the single-person pose estimator turns
each into a pose. The parametric pose NMS removes these duplicates: the most confident pose is
the reference; every remaining pose whose similarity to it exceeds a threshold is eliminated and
merged into it; repeat with the remaining poses.

The similarity of pose ``j`` to the reference ``i`` (``K`` joints ``k^n`` with confidences
``c^n``) is ``d(P_i, P_j) = K_sim(P_i, P_j | sigma1) + lambda * H_sim(P_i, P_j | sigma2)``::

    K_sim = sum_n tanh(c_i^n / sigma1) * tanh(c_j^n / sigma1) * [k_j^n inside the window of k_i^n]
    H_sim = sum_n exp(-(dist(k_i^n, k_j^n))^p / sigma2)          (p = 2 paper, p = 1 AlphaPose)

with distances in pixels or divided by the reference's box size ``max(w, h)``. Eliminated poses
(and the reference) are merged joint by joint: joints within a radius of the reference joint
are averaged with their confidences as weights; the merged confidence is ``sum s^2 / sum s``.

The elimination is sequential by nature (each reference depends on what earlier references
removed), so it walks the references in confidence order, but every step compares the reference
with all remaining poses and all joints at once; the merging of all kept poses is one batched
weighted sum over contiguous group segments. The test oracle
``tests/test_rmpe/pose_nms_reference.py`` is a straightforward per-pose loop giving identical
results (tests and ``benchmarks/bench_pose_nms.py`` compare the two).
"""
import json
import os.path as osp
from dataclasses import asdict, dataclass
from typing import Any, Dict, Optional, Tuple

import numpy as np
from mmengine.structures import InstanceData

from plugins.post_processing.pose_nms_presets import PRESET_NAMES, pose_nms_preset
from plugins.registry import POSE_NMS

DISTANCE_UNITS = ('pixel', 'box')
SPATIAL_KERNELS = ('gaussian', 'exponential')
KSIM_WINDOWS = ('box', 'radius')
OUTPUT_SCORES = ('keypoint_mean', 'alphapose')


@dataclass(frozen=True)
class PoseNMSParams:
    """The parameters of the parametric pose NMS.

    Args:
        sigma1: tanh scale of the joint confidences in ``K_sim`` (AlphaPose ``delta1``).
        sigma2: falloff of ``H_sim`` (AlphaPose ``delta2``).
        lam: weight of ``H_sim`` (paper ``lambda``, AlphaPose ``mu``).
        eta: a pose is eliminated when its similarity to the reference is ``> eta``
            (AlphaPose ``gamma``).
        distance_unit: ``'pixel'`` or ``'box'`` (divided by the reference's ``max(w, h)``); used
            by ``H_sim`` and by a ``'radius'`` K_sim window.
        spatial_kernel: ``'gaussian'`` (``exp(-d^2 / sigma2)``, paper) or ``'exponential'``
            (``exp(-d / sigma2)``, AlphaPose).
        ksim_window: ``'box'`` (joint inside an axis-aligned box of ``ksim_size`` times the
            reference's box width and height, centred on the reference joint; paper) or
            ``'radius'`` (distance ``<= ksim_size`` in ``distance_unit``; AlphaPose: 1 pixel).
        ksim_size: size of the K_sim window (see ``ksim_window``).
        match_thr: also eliminate poses with at least this many joints within the match radius
            of the reference's joints (AlphaPose ``matchThreds``); ``None`` disables the rule.
        match_radius: match radius as a fraction of the reference's ``max(w, h)`` (``alpha``).
        match_radius_cap: upper bound of the match radius in pixels (AlphaPose: 7), or ``None``.
        merge_radius: joints within this fraction of the reference's ``max(w, h)`` of the
            reference joint are merged (``alpha``).
        merge_radius_cap: upper bound of the merge radius in pixels (AlphaPose: 15), or ``None``.
        score_thr: drop a kept pose whose best joint confidence, before or after merging, is
            below it (AlphaPose ``scoreThreds``); ``None`` keeps all.
        zero_score_eps: joint confidences equal to 0 are replaced by it (AlphaPose: 1e-5), which
            keeps the weighted merge defined when every confidence is 0.
        output_score: confidence of a kept pose: ``'keypoint_mean'`` (mean merged joint
            confidence) or ``'alphapose'`` (``mean + bbox_score + 1.25 * max`` of the merged
            joint confidences, AlphaPose's ``proposal_score``).
    """
    sigma1: float = 1.0
    sigma2: float = 2.65
    lam: float = 1.7
    eta: float = 22.48
    distance_unit: str = 'pixel'
    spatial_kernel: str = 'exponential'
    ksim_window: str = 'radius'
    ksim_size: float = 1.0
    match_thr: Optional[int] = 5
    match_radius: float = 0.1
    match_radius_cap: Optional[float] = 7.0
    merge_radius: float = 0.1
    merge_radius_cap: Optional[float] = 15.0
    score_thr: Optional[float] = 0.3
    zero_score_eps: float = 1e-5
    output_score: str = 'alphapose'

    def __post_init__(self) -> None:
        for name, allowed in (('distance_unit', DISTANCE_UNITS),
                              ('spatial_kernel', SPATIAL_KERNELS),
                              ('ksim_window', KSIM_WINDOWS), ('output_score', OUTPUT_SCORES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f'parametric pose NMS: {name} must be one of {allowed}, '
                                 f'got {getattr(self, name)!r}')
        for name in ('sigma1', 'sigma2'):
            if not getattr(self, name) > 0:
                raise ValueError(f'parametric pose NMS: {name} must be > 0, '
                                 f'got {getattr(self, name)}')
        if self.zero_score_eps < 0:
            raise ValueError('parametric pose NMS: zero_score_eps must be >= 0')

    def replace(self, **changes: Any) -> 'PoseNMSParams':
        """A copy with some parameters changed."""
        return PoseNMSParams(**{**asdict(self), **changes})


@dataclass
class PoseNMSResult:
    """What the parametric pose NMS kept and merged.

    Attributes:
        keep: (M,) int64 index of each output pose's reference (the candidate it started from),
            in output order (confidence descending).
        groups: (N,) int64, for every candidate the output position it was merged into, or -1
            when it was eliminated by a reference that was then dropped (``score_thr``).
        keypoints: (M, K, 2) float64 merged joint positions.
        keypoint_scores: (M, K) float64 merged joint confidences.
        scores: (M,) float64 pose confidences (``output_score``).
    """
    keep: np.ndarray
    groups: np.ndarray
    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    scores: np.ndarray


def check_pose_nms_inputs(keypoints: np.ndarray, keypoint_scores: np.ndarray,
                          bboxes: np.ndarray, bbox_scores: Optional[np.ndarray]):
    """Convert the inputs to float64 arrays and check their shapes.

    Returns:
        ``(keypoints (N, K, 2), keypoint_scores (N, K), bboxes (N, 4), bbox_scores (N,))``.
    """
    kpts = np.asarray(keypoints, dtype=np.float64)
    if kpts.ndim != 3 or kpts.shape[2] != 2:
        raise ValueError(f'pose NMS: "keypoints" must have shape (N, K, 2), got {kpts.shape}')
    n, k = kpts.shape[:2]
    scores = np.asarray(keypoint_scores, dtype=np.float64)
    if scores.shape != (n, k):
        raise ValueError(f'pose NMS: "keypoint_scores" must have shape ({n}, {k}), '
                         f'got {scores.shape}')
    boxes = np.asarray(bboxes, dtype=np.float64)
    if boxes.shape != (n, 4):
        raise ValueError(f'pose NMS: "bboxes" must have shape ({n}, 4) xyxy, got {boxes.shape}')
    if bbox_scores is None:
        box_scores = np.ones(n)
    else:
        box_scores = np.asarray(bbox_scores, dtype=np.float64).reshape(-1)
        if box_scores.shape != (n,):
            raise ValueError(f'pose NMS: "bbox_scores" must have shape ({n},), '
                             f'got {np.shape(bbox_scores)}')
    return kpts, scores, boxes, box_scores


def _radius_px(scale: np.ndarray, fraction: float, cap: Optional[float]) -> np.ndarray:
    """``fraction * scale`` in pixels, at most ``cap``."""
    radius = fraction * scale
    return radius if cap is None else np.minimum(radius, cap)


def similarity_to_reference(ref: int, candidates: np.ndarray, keypoints: np.ndarray,
                            confidences: np.ndarray, bboxes: np.ndarray,
                            params: PoseNMSParams):
    """Similarity and match count of candidate poses to one reference pose (vectorised).

    Args:
        ref: index of the reference pose.
        candidates: (C,) indices of the poses compared with it.
        keypoints: (N, K, 2) float64 joint positions in pixels.
        confidences: (N, K) float64 ``tanh(score / sigma1)`` of the joint confidences.
        bboxes: (N, 4) float64 ``xyxy`` boxes (the reference's size scales the distances).
        params: the NMS parameters.

    Returns:
        ``(similarity (C,), match_count (C,), dist (C, K))`` with ``dist`` in pixels.
    """
    w, h = bboxes[ref, 2] - bboxes[ref, 0], bboxes[ref, 3] - bboxes[ref, 1]
    scale = max(w, h)
    delta = keypoints[candidates] - keypoints[ref]  # (C, K, 2)
    dx, dy = delta[..., 0], delta[..., 1]
    dist = np.sqrt(dx * dx + dy * dy)
    d = dist / max(scale, np.finfo(np.float64).tiny) if params.distance_unit == 'box' else dist
    if params.ksim_window == 'box':
        window = (np.abs(dx) <= 0.5 * params.ksim_size * w) & (
            np.abs(dy) <= 0.5 * params.ksim_size * h)
    else:
        window = d <= params.ksim_size
    k_sim = (window * (confidences[ref] * confidences[candidates])).sum(-1)
    power = d * d if params.spatial_kernel == 'gaussian' else d
    h_sim = np.exp(-power / params.sigma2).sum(-1)
    match_count = (dist <= _radius_px(scale, params.match_radius, params.match_radius_cap)).sum(-1)
    return k_sim + params.lam * h_sim, match_count, dist


def _empty_result(k: int) -> PoseNMSResult:
    return PoseNMSResult(
        keep=np.zeros(0, np.int64), groups=np.zeros(0, np.int64),
        keypoints=np.zeros((0, k, 2)), keypoint_scores=np.zeros((0, k)), scores=np.zeros(0))


def parametric_pose_nms(keypoints: np.ndarray,
                        keypoint_scores: np.ndarray,
                        bboxes: np.ndarray,
                        bbox_scores: Optional[np.ndarray] = None,
                        params: Optional[PoseNMSParams] = None) -> PoseNMSResult:
    """Eliminate and merge redundant poses (vectorised).

    Args:
        keypoints: (N, K, 2) joint positions in image pixels.
        keypoint_scores: (N, K) joint confidences.
        bboxes: (N, 4) ``xyxy`` person boxes the poses were estimated in.
        bbox_scores: (N,) box confidences (used by ``output_score='alphapose'``; default 1).
        params: the parameters (default: :class:`PoseNMSParams`, the AlphaPose numerics).

    Returns:
        A :class:`PoseNMSResult`; empty (``M = 0``) for ``N = 0``.
    """
    params = PoseNMSParams() if params is None else params
    kpts, scores, boxes, box_scores = check_pose_nms_inputs(keypoints, keypoint_scores, bboxes,
                                                            bbox_scores)
    n, k = kpts.shape[:2]
    if n == 0:
        return _empty_result(k)
    scores = np.where(scores == 0, params.zero_score_eps, scores)
    confidences = np.tanh(scores / params.sigma1)
    scale = (boxes[:, 2:] - boxes[:, :2]).max(1)
    merge_r = _radius_px(scale, params.merge_radius, params.merge_radius_cap)

    # greedy elimination: sequential by nature; each reference is compared with all remaining
    # poses at once
    order = np.argsort(-scores.mean(1), kind='stable')
    alive = np.ones(n, bool)
    picks, members, near = [], [], []
    for i in order:
        if not alive[i]:
            continue
        remaining = np.flatnonzero(alive)
        sim, matches, dist = similarity_to_reference(i, remaining, kpts, confidences, boxes,
                                                     params)
        eliminated = sim > params.eta
        if params.match_thr is not None:
            eliminated |= matches >= params.match_thr
        eliminated |= remaining == i
        alive[remaining[eliminated]] = False
        picks.append(i)
        members.append(remaining[eliminated])
        near.append(dist[eliminated] <= merge_r[i])  # joints merged into the reference's
    picks = np.asarray(picks, np.int64)

    # score-weighted merging of all groups at once (groups are contiguous segments)
    member = np.concatenate(members)
    starts = np.cumsum([0] + [len(m) for m in members[:-1]])
    weights = np.concatenate(near) * scores[member]  # (N, K)
    weight_sum = np.add.reduceat(weights, starts, axis=0)  # (P, K)
    defined = weight_sum > 0
    safe_sum = np.where(defined, weight_sum, 1.0)
    merged = np.add.reduceat(weights[..., None] * kpts[member], starts, axis=0) / safe_sum[
        ..., None]
    merged_scores = np.add.reduceat(weights * weights, starts, axis=0) / safe_sum
    merged = np.where(defined[..., None], merged, kpts[picks])  # only if zero_score_eps == 0
    merged_scores = np.where(defined, merged_scores, scores[picks])

    valid = np.ones(len(picks), bool)
    if params.score_thr is not None:
        valid = (scores[picks].max(1) >= params.score_thr) & (
            merged_scores.max(1) >= params.score_thr)
    if params.output_score == 'alphapose':
        out_scores = merged_scores.mean(1) + box_scores[picks] + 1.25 * merged_scores.max(1)
    else:
        out_scores = merged_scores.mean(1)

    kept = np.flatnonzero(valid)
    kept = kept[np.argsort(-out_scores[kept], kind='stable')]
    position = np.full(len(picks), -1, np.int64)
    position[kept] = np.arange(len(kept))
    groups = np.full(n, -1, np.int64)
    groups[member] = np.repeat(position, [len(m) for m in members])
    return PoseNMSResult(
        keep=picks[kept], groups=groups, keypoints=merged[kept],
        keypoint_scores=merged_scores[kept], scores=out_scores[kept])


#: ``format`` field of the parameter files written by ``tools/analysis/fit_pose_nms.py``.
PARAMS_FILE_FORMAT = 'rmpe-pose-nms-params'
PARAMS_FILE_VERSION = 1


def save_pose_nms_params(path: str, preset: Optional[str], params: PoseNMSParams,
                         **extra: Any) -> None:
    """Write NMS parameters as JSON for ``ParametricPoseNMS(params_file=...)``.

    Args:
        path: output file.
        preset: the preset the parameters start from (``'paper'``, ``'alphapose'`` or None).
        params: every parameter of the NMS (the file is self-contained).
        **extra: further JSON-serialisable fields (the fitting history, AP values, ...).
    """
    data = dict(format=PARAMS_FILE_FORMAT, version=PARAMS_FILE_VERSION, preset=preset,
                params=asdict(params), **extra)
    with open(path, 'w') as f:
        json.dump(data, f, indent=1)


def load_pose_nms_params(path: str) -> Tuple[Optional[str], Dict[str, Any]]:
    """Read a file written by :func:`save_pose_nms_params` (``tools/analysis/fit_pose_nms.py``).

    Args:
        path: the JSON file.

    Returns:
        ``(preset, params)``: the preset name the file was fitted from and a dict of every
        :class:`PoseNMSParams` field.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not JSON, not a parameter file, unsupported version, unknown or missing
            parameters, or invalid values (the message names the file and the field).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'ParametricPoseNMS: params_file {path!r} not found; write it with '
            'tools/analysis/fit_pose_nms.py ANN CANDIDATES --out <file>')
    try:
        with open(path) as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f'ParametricPoseNMS: params_file {path!r} is not JSON ({e})') from None
    if not isinstance(data, dict) or data.get('format') != PARAMS_FILE_FORMAT:
        raise ValueError(f'ParametricPoseNMS: params_file {path!r} is not a pose NMS parameter '
                         f'file (its "format" field must be {PARAMS_FILE_FORMAT!r}; write it '
                         'with tools/analysis/fit_pose_nms.py)')
    if data.get('version') != PARAMS_FILE_VERSION:
        raise ValueError(f'ParametricPoseNMS: params_file {path!r} has version '
                         f'{data.get("version")!r}, expected {PARAMS_FILE_VERSION}')
    params = data.get('params')
    if not isinstance(params, dict):
        raise ValueError(f'ParametricPoseNMS: params_file {path!r} has no "params" object')
    fields = set(PoseNMSParams.__dataclass_fields__)
    unknown, missing = set(params) - fields, fields - set(params)
    if unknown or missing:
        raise ValueError(f'ParametricPoseNMS: params_file {path!r}: unknown parameters '
                         f'{sorted(unknown)}, missing parameters {sorted(missing)}')
    try:
        PoseNMSParams(**params)
    except (ValueError, TypeError) as e:
        raise ValueError(f'ParametricPoseNMS: params_file {path!r}: {e}') from None
    preset = data.get('preset')
    if preset is not None and preset not in PRESET_NAMES:
        raise ValueError(f'ParametricPoseNMS: params_file {path!r}: unknown preset {preset!r}')
    return preset, dict(params)


@POSE_NMS.register_module()
class ParametricPoseNMS:
    """Parametric pose NMS (RMPE) as a pipeline stage: ``nms(instances) -> instances``.

    Args:
        preset: ``'paper'`` or ``'alphapose'`` (see :mod:`.pose_nms_presets`), or ``None`` for
            the defaults of :class:`PoseNMSParams`. With ``params_file`` it must name the
            preset the file was fitted from (a guard against pairing a file with the wrong
            form of the NMS).
        params_file: JSON written by ``tools/analysis/fit_pose_nms.py --out`` (every parameter
            of the NMS); its values replace the preset's.
        **params: :class:`PoseNMSParams` fields overriding the preset and the file.
    """

    def __init__(self, preset: Optional[str] = 'alphapose', params_file: Optional[str] = None,
                 **params: Any) -> None:
        if preset is not None and preset not in PRESET_NAMES:
            raise ValueError(f'ParametricPoseNMS: unknown preset {preset!r}, '
                             f'choose one of {PRESET_NAMES} or None')
        base: Dict[str, Any] = pose_nms_preset(preset) if preset is not None else {}
        if params_file is not None:
            file_preset, base = load_pose_nms_params(params_file)
            if file_preset != preset:
                raise ValueError(f'ParametricPoseNMS: params_file {params_file!r} was fitted '
                                 f'with preset={file_preset!r} but preset={preset!r}; set '
                                 f'preset={file_preset!r}')
        unknown = set(params) - set(PoseNMSParams.__dataclass_fields__)
        if unknown:
            raise TypeError(f'ParametricPoseNMS: unknown parameters {sorted(unknown)}')
        self.params_file = params_file
        self.params = PoseNMSParams(**{**base, **params})

    def run(self, instances: InstanceData) -> PoseNMSResult:
        """The NMS on one frame's poses, with the kept/merged bookkeeping.

        Args:
            instances: ``keypoints`` (N, K, 2), ``keypoint_scores`` (N, K), ``bboxes`` (N, 4)
                ``xyxy`` and optionally ``bbox_scores`` (N,).
        """
        for field in ('keypoints', 'keypoint_scores', 'bboxes'):
            if field not in instances:
                raise KeyError(f'ParametricPoseNMS: instances lack the field "{field}"')
        return parametric_pose_nms(
            instances.keypoints, instances.keypoint_scores, instances.bboxes,
            instances.bbox_scores if 'bbox_scores' in instances else None, self.params)

    def __call__(self, instances: InstanceData) -> InstanceData:
        """Suppress and merge duplicate poses.

        Args:
            instances: poses of one frame (may be empty).

        Returns:
            The kept poses, sorted by confidence descending: every field of the reference pose,
            with ``keypoints`` and ``keypoint_scores`` replaced by the merged ones (float32) and
            a new field ``scores`` (float32) holding the pose confidence (``output_score``).
        """
        if len(instances) == 0:
            out = instances.new()
            if 'keypoints' in instances:
                out = instances[np.zeros(0, np.int64)]
                out.scores = np.zeros(0, np.float32)
            return out
        result = self.run(instances)
        out = instances[result.keep]
        out.keypoints = result.keypoints.astype(np.float32)
        out.keypoint_scores = result.keypoint_scores.astype(np.float32)
        out.scores = result.scores.astype(np.float32)
        return out

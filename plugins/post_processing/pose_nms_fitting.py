"""Learning the parametric pose NMS parameters on validation data (RMPE Sec. 3.3).

RMPE learns ``sigma1, sigma2, lambda, eta`` by maximising AP on a validation set of candidate
poses, optimising two parameters at a time with the other two fixed and alternating until
convergence. :func:`alternating_search` is that search over multiplicative grids;
:class:`CandidatePoses` + :func:`nms_coco_ap` give the objective (COCO keypoint AP with
xtcocotools, each kept pose scored as ``PoseNMSCocoMetric`` scores it: by the NMS's output
score, or mmpose ``CocoMetric``'s rescoring with ``pose_score='coco'``).
``tools/analysis/fit_pose_nms.py`` is the command-line front end.
"""
import contextlib
import io
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from plugins.post_processing.parametric_pose_nms import PoseNMSParams, parametric_pose_nms

#: The parameters the search optimises, as pairs (the other pair fixed).
DEFAULT_PAIRS = (('lam', 'eta'), ('sigma1', 'sigma2'))


def alternating_search(objective: Callable[[Dict[str, float]], float],
                       init: Dict[str, float],
                       pairs: Sequence[Tuple[str, str]] = DEFAULT_PAIRS,
                       factors: Sequence[float] = (0.5, 0.71, 1.0, 1.41, 2.0),
                       max_rounds: int = 10,
                       tol: float = 1e-6) -> Tuple[Dict[str, float], List[dict]]:
    """Maximise ``objective`` over pairs of parameters, alternately, until no pair improves.

    Each step evaluates the grid ``{a * f1} x {b * f2}`` (``f`` in ``factors``) of one pair
    around its current values, the other parameters fixed, and moves to the best point if it
    beats the current value by more than ``tol``. A round is one step per pair; the search stops
    after a round without improvement (a coordinate-wise optimum on the grid) or
    ``max_rounds``.

    Args:
        objective: parameters -> score to maximise (e.g. AP).
        init: starting values of all parameters named in ``pairs``.
        pairs: the parameter pairs optimised in turn.
        factors: multiplicative grid (must contain 1).
        max_rounds: upper bound on rounds.
        tol: minimal improvement.

    Returns:
        ``(best parameters, history)``; ``history`` lists every evaluation
        (``dict(params=..., score=..., round=..., pair=...)``).
    """
    if 1.0 not in [float(f) for f in factors]:
        raise ValueError('alternating_search: factors must contain 1 (the current value)')
    missing = {p for pair in pairs for p in pair} - set(init)
    if missing:
        raise ValueError(f'alternating_search: no initial value for {sorted(missing)}')
    cache: Dict[tuple, float] = {}
    history: List[dict] = []

    def evaluate(params: Dict[str, float], rnd: int, pair) -> float:
        key = tuple(sorted((k, round(float(v), 12)) for k, v in params.items()))
        if key not in cache:
            cache[key] = float(objective(dict(params)))
            history.append(dict(params=dict(params), score=cache[key], round=rnd,
                                pair=list(pair)))
        return cache[key]

    best = dict(init)
    best_score = evaluate(best, 0, ())
    for rnd in range(1, max_rounds + 1):
        improved = False
        for a, b in pairs:
            step_best, step_score = best, best_score
            for fa in factors:
                for fb in factors:
                    cand = dict(best, **{a: best[a] * fa, b: best[b] * fb})
                    score = evaluate(cand, rnd, (a, b))
                    if score > step_score + tol:
                        step_best, step_score = cand, score
            if step_score > best_score + tol:
                best, best_score, improved = step_best, step_score, True
        if not improved:
            break
    return best, history


@dataclass
class CandidatePoses:
    """All candidate poses (before NMS) of a validation set, grouped by image.

    Attributes:
        image_ids: (I,) image ids.
        keypoints / keypoint_scores / bboxes / bbox_scores: per image, arrays of shapes
            (N, K, 2), (N, K), (N, 4) ``xyxy`` and (N,).
    """
    image_ids: List[int]
    keypoints: List[np.ndarray]
    keypoint_scores: List[np.ndarray]
    bboxes: List[np.ndarray]
    bbox_scores: List[np.ndarray]

    @classmethod
    def from_records(cls, records: Sequence[dict]) -> 'CandidatePoses':
        """Group per-pose records ``dict(image_id, keypoints (K, 2), keypoint_scores (K,),
        bbox (4,) xyxy, bbox_score)`` by image."""
        groups: Dict[int, List[dict]] = {}
        for r in records:
            groups.setdefault(r['image_id'], []).append(r)
        ids = sorted(groups)
        return cls(
            image_ids=ids,
            keypoints=[np.stack([np.asarray(r['keypoints'], np.float64) for r in groups[i]])
                       for i in ids],
            keypoint_scores=[np.stack([np.asarray(r['keypoint_scores'], np.float64)
                                       for r in groups[i]]) for i in ids],
            bboxes=[np.stack([np.asarray(r['bbox'], np.float64) for r in groups[i]])
                    for i in ids],
            bbox_scores=[np.asarray([float(r['bbox_score']) for r in groups[i]])
                         for i in ids])

    def __len__(self) -> int:
        return int(sum(len(k) for k in self.keypoints))


def rescore(keypoint_scores: np.ndarray, bbox_scores: np.ndarray,
            keypoint_score_thr: float = 0.2) -> np.ndarray:
    """mmpose ``CocoMetric``'s ``'bbox_keypoint'`` score: box score times the mean of the joint
    scores above ``keypoint_score_thr`` (0 when none)."""
    s = np.asarray(keypoint_scores, np.float64)
    above = s > keypoint_score_thr
    mean = np.divide((s * above).sum(1), above.sum(1), out=np.zeros(len(s)),
                     where=above.sum(1) > 0)
    return np.asarray(bbox_scores, np.float64) * mean


POSE_SCORES = ('nms', 'coco')


def apply_nms_to_candidates(cands: CandidatePoses, params: Optional[PoseNMSParams],
                            pose_score: str = 'nms') -> List[dict]:
    """Run the NMS per image (``params=None``: no NMS) and return COCO keypoint results.

    Args:
        cands: the candidate poses.
        params: NMS parameters, or ``None`` for no NMS.
        pose_score: score of each kept pose in the results: ``'nms'`` (the NMS's output score,
            ``params.output_score``) or ``'coco'`` (:func:`rescore` of the merged pose, mmpose
            ``CocoMetric``'s ``'bbox_keypoint'`` rule). Without NMS always :func:`rescore`.
    """
    if pose_score not in POSE_SCORES:
        raise ValueError(f'pose_score must be one of {POSE_SCORES}, got {pose_score!r}')
    results = []
    for img, kp, ks, bb, bs in zip(cands.image_ids, cands.keypoints, cands.keypoint_scores,
                                   cands.bboxes, cands.bbox_scores):
        if params is None:
            out_kp, out_ks, out_bs = kp, ks, bs
        else:
            res = parametric_pose_nms(kp, ks, bb, bs, params)
            out_kp, out_ks, out_bs = res.keypoints, res.keypoint_scores, bs[res.keep]
        if params is not None and pose_score == 'nms':
            scores = res.scores
        else:
            scores = rescore(out_ks, out_bs)
        for p, s, score in zip(out_kp, out_ks, scores):
            results.append(dict(
                image_id=int(img), category_id=1, score=float(score),
                keypoints=np.concatenate([p, s[:, None]], 1).reshape(-1).tolist()))
    return results


def coco_keypoint_ap(coco_gt, results: List[dict], sigmas: Sequence[float]) -> float:
    """COCO keypoint AP (OKS .50:.95) of ``results`` against an xtcocotools ``COCO`` object.

    Returns 0 when there is no result.
    """
    from xtcocotools.cocoeval import COCOeval
    if not results:
        return 0.0
    with contextlib.redirect_stdout(io.StringIO()):
        coco_dt = coco_gt.loadRes(results)
        ev = COCOeval(coco_gt, coco_dt, 'keypoints', np.asarray(sigmas), use_area=True)
        ev.params.useSegm = None
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return float(max(ev.stats[0], 0.0))


def nms_coco_ap(coco_gt, cands: CandidatePoses, params: Optional[PoseNMSParams],
                sigmas: Sequence[float], pose_score: str = 'nms') -> float:
    """AP of the candidates after the NMS with ``params`` (``None``: without NMS); see
    :func:`apply_nms_to_candidates` for ``pose_score``."""
    return coco_keypoint_ap(coco_gt, apply_nms_to_candidates(cands, params, pose_score), sigmas)

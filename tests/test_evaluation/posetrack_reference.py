"""Straightforward PoseTrack evaluation with per-frame / per-person / per-joint Python loops.

The reference for the vectorised :func:`plugins.evaluation.evaluate_posetrack`: it follows the
official tool's procedure step by step (``poseval``'s ``eval_helpers.assignGTmulti``,
``evaluateAP.computeMetrics`` and ``evaluateTracking.computeMetrics``), written on the project's
frame arrays, with one ``motmetrics.MOTAccumulator`` per joint and video, and shapely point
tests for ignore regions. ``mode`` switches between the official tool's behaviour and the
corrected one, in the few places where they differ. Used by the tests and by
``benchmarks/bench_posetrack_eval.py`` (the baseline of the speed ratio).
"""
import math
from typing import Any, Dict, List, Sequence

import motmetrics as mm
import numpy as np
from shapely import geometry

MIN_SCORE = -9999.0
MOT_NAMES = ['num_misses', 'num_switches', 'num_false_positives', 'num_objects',
             'num_detections']


def _persons(frame: Any, idx: Sequence[int], is_gt: bool, mode: str) -> List[dict]:
    out = []
    n = len(frame.keypoints)
    for i in range(n):
        points = {}
        for jj, k in enumerate(idx):
            x = float(frame.keypoints[i][k][0])
            y = float(frame.keypoints[i][k][1])
            s = float(frame.keypoint_scores[i][k])
            if not (math.isfinite(x) and math.isfinite(y)):
                continue
            if is_gt and mode == 'default':
                if not s > 0:
                    continue
            elif x == 0 and y == 0 and s == 0:
                continue
            points[jj] = (x, y, MIN_SCORE if math.isnan(s) else s)
        person = dict(points=points, tid=int(frame.track_ids[i]))
        if is_gt:
            x1, y1, x2, y2 = [float(v) for v in frame.head_bboxes[i]]
            person['head'] = 0.6 * math.sqrt((x2 - x1) ** 2 + (y2 - y1) ** 2)
        out.append(person)
    return out


def _remove_ignored(persons: List[dict], polygons: list, drop_empty: bool) -> List[dict]:
    kept = []
    for p in persons:
        p['points'] = {j: v for j, v in p['points'].items()
                       if not any(poly.contains(geometry.Point(v[0], v[1]))
                                  for poly in polygons)}
        if p['points'] or not drop_empty:
            kept.append(p)
    return kept


def _ap_from_curve(rec: List[float], prec: List[float]) -> float:
    mrec = [0.0] + rec + [1.0]
    mpre = [0.0] + prec + [0.0]
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    ap = 0.0
    for i in range(1, len(mrec)):
        if mrec[i] != mrec[i - 1]:
            ap += (mrec[i] - mrec[i - 1]) * mpre[i]
    return ap


def _joint_ap(scores: List[float], labels: List[int], n_gt: int, mode: str) -> tuple:
    if not scores:
        return (0.0, 0.0, 0.0) if mode == 'poseval' else \
            (math.nan if n_gt == 0 else 0.0, math.nan, math.nan if n_gt == 0 else 0.0)
    s = np.array(scores, np.float64)
    lab = np.array(labels)
    if mode == 'poseval':
        order = s.argsort()[::-1]
    else:
        order = sorted(range(len(s)), key=lambda i: -s[i])
    rec, prec = [], []
    npos = 0
    for rank, i in enumerate(order):
        npos += int(lab[i] == 1)
        last_of_tie = mode == 'poseval' or rank == len(order) - 1 or \
            s[order[rank + 1]] != s[i]
        if last_of_tie:
            rec.append(npos / n_gt if n_gt else math.nan)
            prec.append(npos / (rank + 1))
    ap = math.nan if n_gt == 0 else _ap_from_curve(rec, prec) * 100
    return ap, prec[-1] * 100, rec[-1] * 100


def reference_evaluate(gt_videos: Sequence[Any], pred_videos: Sequence[Any],
                       joint_indices: Sequence[int], mode: str = 'default',
                       dist_thresh: float = 0.5, tracking: bool = True) -> Dict[str, Any]:
    """Evaluate with loops; returns per-joint ``ap``, ``ap_precision``, ``ap_recall``,
    ``num_gt_joints`` and (``tracking``) ``mota``, ``motp``, ``precision``, ``recall`` and
    the summed motmetrics counts, each a list over the scored joints."""
    idx = list(joint_indices)
    n_j = len(idx)
    frames = []
    for s, (gv, pv) in enumerate(zip(gt_videos, pred_videos)):
        for gf, pf in zip(gv.frames, pv.frames):
            n = len(gf.keypoints)
            if (n == 0) if mode == 'poseval' else not (gf.is_labeled or n > 0):
                continue
            gts = _persons(gf, idx, True, mode)
            prs = _persons(pf, idx, False, mode)
            polys = [geometry.Polygon([(float(x), float(y)) for x, y in p])
                     for p in gf.ignore_regions if len(p) >= 3]
            if len(gf.ignore_regions):
                drop = mode == 'poseval'
                gts = _remove_ignored(gts, polys, drop)
                prs = _remove_ignored(prs, polys, drop)
            frames.append(dict(seq=s, gt=gts, pr=prs))

    scores_all = [[] for _ in range(n_j)]
    labels_all = [[] for _ in range(n_j)]
    n_gt = [0] * n_j
    mot_all = []
    for fr in frames:
        gts, prs = fr['gt'], fr['pr']
        for g in gts:
            for j in g['points']:
                n_gt[j] += 1
        mot = []
        if gts and prs:
            dist = np.full((len(prs), len(gts), n_j), np.inf)
            for p, pr in enumerate(prs):
                for g, gt in enumerate(gts):
                    for j in range(n_j):
                        if j in pr['points'] and j in gt['points']:
                            dx = pr['points'][j][0] - gt['points'][j][0]
                            dy = pr['points'][j][1] - gt['points'][j][1]
                            with np.errstate(divide='ignore', invalid='ignore'):
                                dist[p, g, j] = np.float64(math.sqrt(dx * dx + dy * dy)) / \
                                    np.float64(gt['head'])
            match = dist <= dist_thresh
            pck = np.zeros((len(prs), len(gts)))
            for p in range(len(prs)):
                for g, gt in enumerate(gts):
                    cnt = float(match[p, g].sum())
                    pck[p, g] = cnt / len(gt['points']) if gt['points'] else cnt
            best = np.argmax(pck, axis=1)
            for p in range(len(prs)):
                for g in range(len(gts)):
                    if g != best[p]:
                        pck[p, g] = 0
            pr_to_gt = np.argmax(pck, axis=0)
            pr_to_gt[np.max(pck, axis=0) == 0] = -1
            for p, pr in enumerate(prs):
                hit = np.flatnonzero(pr_to_gt == p)
                for j, (_, _, sc) in pr['points'].items():
                    scores_all[j].append(sc)
                    labels_all[j].append(int(match[p, hit[0], j]) if len(hit) else 0)
            for j in range(n_j):
                gi = [g for g in range(len(gts)) if j in gts[g]['points']]
                pi = [p for p in range(len(prs)) if j in prs[p]['points']]
                d = np.full((len(gi), len(pi)), np.nan)
                for a, g in enumerate(gi):
                    for b, p in enumerate(pi):
                        if match[p, g, j]:
                            d[a, b] = dist[p, g, j]
                mot.append(([gts[g]['tid'] for g in gi], [prs[p]['tid'] for p in pi], d))
        else:
            for pr in prs:
                for j, (_, _, sc) in pr['points'].items():
                    scores_all[j].append(sc)
                    labels_all[j].append(0)
            for j in range(n_j):
                if mode == 'poseval':
                    mot.append(([0], [0], np.full((1, 1), np.nan)))
                else:
                    oid = [g['tid'] for g in gts if j in g['points']]
                    hid = [p['tid'] for p in prs if j in p['points']]
                    mot.append((oid, hid, np.full((len(oid), len(hid)), np.nan)))
        mot_all.append(mot)

    out = dict(ap=[], ap_precision=[], ap_recall=[], num_gt_joints=[float(n) for n in n_gt])
    for j in range(n_j):
        ap, pre, rec = _joint_ap(scores_all[j], labels_all[j], n_gt[j], mode)
        out['ap'].append(ap)
        out['ap_precision'].append(pre)
        out['ap_recall'].append(rec)
    if not tracking:
        return out

    mh = mm.metrics.create()
    sums = {name: [0.0] * n_j for name in MOT_NAMES + ['sumD']}
    seqs = sorted({fr['seq'] for fr in frames})
    for s in seqs:
        fidx = [i for i, fr in enumerate(frames) if fr['seq'] == s]
        if mode == 'poseval':
            fidx = fidx[:-1]
        for j in range(n_j):
            acc = mm.MOTAccumulator(auto_id=True)
            for i in fidx:
                oid, hid, d = mot_all[i][j]
                acc.update(oid, hid, d)
            if not fidx:
                continue
            res = mh.compute(acc, metrics=MOT_NAMES, return_dataframe=False, name='acc')
            for name in MOT_NAMES:
                sums[name][j] += float(res[name])
            ev = acc.events
            if mode == 'poseval':
                sd = ev['D'].sum()
            else:
                sd = ev[ev.Type.isin(['MATCH', 'SWITCH'])]['D'].sum()
            sums['sumD'][j] += 0.0 if np.isnan(sd) else float(sd)
    for key in ('mota', 'motp', 'precision', 'recall'):
        out[key] = []
    for j in range(n_j):
        obj = sums['num_objects'][j]
        det = sums['num_detections'][j]
        fp = sums['num_false_positives'][j]
        out['mota'].append(100 * (1 - (sums['num_misses'][j] + sums['num_switches'][j] + fp)
                                  / obj) if obj > 0 else math.nan)
        if det == 0:
            out['motp'].append(0.0 if mode == 'poseval' else math.nan)
        else:
            out['motp'].append(100 * (1 - sums['sumD'][j] / det))
        out['precision'].append(100 * det / (fp + det) if fp + det > 0 else math.nan)
        out['recall'].append(100 * det / obj if obj > 0 else math.nan)
    for name in MOT_NAMES:
        out[name] = sums[name]
    return out

"""Offline merging of track fragments by keypoint correspondences and OKS."""
from collections import Counter, defaultdict
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np
from mmengine.structures import InstanceData

from plugins.utils.keypoint_similarity import pairwise_oks

#: ``propagate(src_frame, dst_frame, keypoints (M, K, 2), valid (M, K))`` ->
#: ``(keypoints (M, K, 2) in dst_frame, scores (M, K))``
PropagateFn = Callable[[int, int, np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]


def _track_table(results: Sequence[InstanceData]) -> Dict[int, Dict[int, Tuple]]:
    """track id -> frame -> (keypoints (K, 2), keypoint_scores (K,), bbox (4,))."""
    table: Dict[int, Dict[int, Tuple]] = defaultdict(dict)
    for f, inst in enumerate(results):
        if len(inst) == 0:
            continue
        if 'track_ids' not in inst:
            raise ValueError(f'frame {f}: results need "track_ids" to merge tracks')
        ids = np.asarray(inst.track_ids).reshape(-1)
        kpts = np.asarray(inst.keypoints, np.float64)
        scores = np.asarray(inst.keypoint_scores, np.float64)
        if 'bboxes' in inst:
            boxes = np.asarray(inst.bboxes, np.float64).reshape(-1, 4)
        else:
            boxes = np.concatenate([kpts.min(1), kpts.max(1)], axis=1)
        for i, tid in enumerate(ids):
            table[int(tid)][f] = (kpts[i], scores[i], boxes[i])
    return table


def _anchor_frames(frames: List[int]) -> List[int]:
    """Start, centre and end frame of a track (unique, in order)."""
    return sorted({frames[0], frames[len(frames) // 2], frames[-1]})


def merge_tracks(results: Sequence[InstanceData],
                 propagate: PropagateFn,
                 sigmas: Sequence[float],
                 oks_threshold: float = 0.5,
                 max_gap: int = 30,
                 joint_threshold: float = 0.4,
                 min_propagated_score: float = 0.05,
                 min_joints: int = 3) -> List[InstanceData]:
    """Join track fragments that belong to one person.

    For every pair of tracks (A, B) where B starts after A ends, within ``max_gap`` frames:
    A's start, centre and end poses are propagated (``propagate``) to B's first frame and
    compared by OKS with B's first pose, and B's start, centre and end poses are propagated to
    A's last frame and compared with A's last pose. The pair's score is the mean OKS of the
    anchors that kept at least ``min_joints`` joints. Pairs are merged greedily, best first,
    above ``oks_threshold``; each track gets at most one predecessor and one successor, and a
    merged chain takes the id of its first track.

    Args:
        results: per-frame poses with ``track_ids`` (the tracker's output, in frame order).
        propagate: moves poses between two frames (see :data:`PropagateFn`).
        sigmas: (K,) per-joint OKS falloffs.
        oks_threshold: minimum score of a merge.
        max_gap: largest number of frames between A's end and B's start.
        joint_threshold: joints scored below it are not propagated / compared.
        min_propagated_score: propagated joints with a lower affinity peak are dropped.
        min_joints: anchors with fewer usable joints are skipped.

    Returns:
        New per-frame ``InstanceData`` with the merged ``track_ids``.
    """
    table = _track_table(results)
    ids = sorted(table)
    frames = {tid: sorted(table[tid]) for tid in ids}
    # candidate pairs: b starts after a ends, within max_gap
    pairs = [(a, b) for a in ids for b in ids
             if frames[a][-1] < frames[b][0] <= frames[a][-1] + max_gap]
    if not pairs:
        return [inst.clone() for inst in results]
    # queries grouped by (source frame, target frame) so each group is one network call
    queries: Dict[Tuple[int, int], List[Tuple[int, int, int]]] = defaultdict(list)
    for p, (a, b) in enumerate(pairs):
        for f in _anchor_frames(frames[a]):
            queries[(f, frames[b][0])].append((p, a, b))  # A's anchor -> B's first pose
        for f in _anchor_frames(frames[b]):
            queries[(f, frames[a][-1])].append((p, b, a))  # B's anchor -> A's last pose
    scores: Dict[int, List[float]] = defaultdict(list)
    sig = np.asarray(sigmas, np.float64)
    for (src, dst), items in sorted(queries.items()):
        kpts = np.stack([table[s][src][0] for _, s, _ in items])
        valid = np.stack([table[s][src][1] >= joint_threshold for _, s, _ in items])
        prop, prop_scores = propagate(src, dst, kpts, valid)
        usable = valid & (np.asarray(prop_scores) >= min_propagated_score)
        for i, (p, _, target) in enumerate(items):
            ref_kpts, ref_scores, ref_box = table[target][dst]
            counted = usable[i] & (ref_scores >= joint_threshold)
            if counted.sum() < min_joints:
                continue
            area = max((ref_box[2] - ref_box[0]) * (ref_box[3] - ref_box[1]), 1.0)
            oks = pairwise_oks(ref_kpts[None], np.asarray(prop[i], np.float64)[None], sig,
                               np.array([area]), visible_a=counted[None])[0, 0]
            scores[p].append(float(oks))
    ranked = sorted(((float(np.mean(v)), p) for p, v in scores.items()), reverse=True)
    successor: Dict[int, int] = {}
    predecessor: Dict[int, int] = {}
    for score, p in ranked:
        if score < oks_threshold:
            break
        a, b = pairs[p]
        if a in successor or b in predecessor:
            continue
        successor[a], predecessor[b] = b, a
    root = {}
    for tid in ids:
        r = tid
        while r in predecessor:
            r = predecessor[r]
        root[tid] = r
    out = []
    for inst in results:
        new = inst.clone()
        if len(inst):
            new.track_ids = np.array([root[int(t)] for t in np.asarray(inst.track_ids)],
                                     dtype=np.int64)
        out.append(new)
    return out


def drop_short_tracks(results: Sequence[InstanceData], min_length: int) -> List[InstanceData]:
    """Remove the tracks present in fewer than ``min_length`` frames (false-positive pruning).

    Args:
        results: per-frame poses with ``track_ids``.
        min_length: e.g. 3.

    Returns:
        New per-frame ``InstanceData`` without the short tracks' poses.
    """
    counts: Counter = Counter()
    for f, inst in enumerate(results):
        if len(inst) and 'track_ids' not in inst:
            raise ValueError(f'frame {f}: results need "track_ids" to drop short tracks')
        if len(inst):
            counts.update(int(t) for t in np.asarray(inst.track_ids).reshape(-1))
    out = []
    for inst in results:
        if len(inst) == 0:
            out.append(inst.clone())
            continue
        ids = np.asarray(inst.track_ids).reshape(-1)
        keep = np.array([counts[int(t)] >= min_length for t in ids], bool)
        out.append(inst[keep] if not keep.all() else inst.clone())
    return out

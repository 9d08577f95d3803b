"""Offline merging of track fragments by keypoint correspondences and OKS."""
from collections import Counter, defaultdict
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.structures import InstanceData

from plugins.models.correspondence.propagation import propagate_keypoints
from plugins.registry import POST_PROCESSORS
from plugins.utils.keypoint_similarity import pairwise_oks
from .frame_context import FrameContext
from .oks_tracker import DEFAULT_METAINFO, load_sigmas
from .post_processor import BasePostProcessor
from .track_edits import TrackEdits

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
    root = merge_track_table(_track_table(results), propagate, sigmas, oks_threshold, max_gap,
                             joint_threshold, min_propagated_score, min_joints)
    out = []
    for inst in results:
        new = inst.clone()
        if len(inst):
            new.track_ids = np.array([root[int(t)] for t in np.asarray(inst.track_ids)],
                                     dtype=np.int64)
        out.append(new)
    return out


def merge_track_table(table: Dict[int, Dict[int, Tuple]], propagate: PropagateFn,
                      sigmas: Sequence[float], oks_threshold: float = 0.5, max_gap: int = 30,
                      joint_threshold: float = 0.4, min_propagated_score: float = 0.05,
                      min_joints: int = 3) -> Dict[int, int]:
    """The merging of :func:`merge_tracks` on per-track poses.

    Args:
        table: track id -> frame -> ``(keypoints (K, 2), keypoint_scores (K,), bbox (4,))``;
            every frame of each track, or only its anchor frames (start, centre, end): only
            those and the first / last frame are read.
        propagate, sigmas, ...: as :func:`merge_tracks`.

    Returns:
        track id -> id of the first track of its merged chain (every id of ``table``).
    """
    ids = sorted(table)
    frames = {tid: sorted(table[tid]) for tid in ids}
    # candidate pairs: b starts after a ends, within max_gap
    pairs = [(a, b) for a in ids for b in ids
             if frames[a][-1] < frames[b][0] <= frames[a][-1] + max_gap]
    if not pairs:
        return {tid: tid for tid in ids}
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
    return root


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


@POST_PROCESSORS.register_module()
class CorrespondenceTrackMerging(BasePostProcessor):
    """Per-video post-processor: offline track merging by keypoint correspondences (the
    paper's supplementary step, :func:`merge_track_table`) followed by the removal of tracks
    shorter than ``min_track_length`` frames (false-positive pruning).

    Bounded memory: per track it keeps the count of its frames and at most four poses -- its
    first and last, and two centre candidates: the poses at the track's 2^m-th and 2^(m-1)-th
    frames (m the largest with 2^m < its length), of which the one nearer the true centre is
    used -- plus the correspondence features of the frames those poses are in (shared through
    ``ctx.cache`` with the tracker), never all frames. (With every frame kept the centre would
    be the exact middle frame; the anchors differ only for tracks longer than 4 frames.)

    Args:
        model: the :class:`CorrespondenceNet` (config, dict, or the pipeline's shared
            ``dict(shared='corr_net')``); not needed (None) with ``merge=False``.
        checkpoint, device: as the tracker's.
        merge: join fragments (False: only remove short tracks).
        oks_threshold, max_gap, joint_threshold, min_propagated_score, min_joints: as
            :func:`merge_tracks`.
        affinity_window: neighbourhood radius (map cells) of the propagated joints' scores.
        min_track_length: merged tracks with fewer frames are dropped (1: keep all).
        metainfo, sigmas: per-joint OKS falloffs.
    """

    def __init__(self,
                 model: Union[str, dict, object, None] = None,
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 merge: bool = True,
                 oks_threshold: float = 0.5,
                 max_gap: int = 30,
                 joint_threshold: float = 0.1,
                 min_propagated_score: float = 0.05,
                 min_joints: int = 3,
                 affinity_window: int = 0,
                 min_track_length: int = 3,
                 metainfo: Optional[Union[str, dict]] = DEFAULT_METAINFO,
                 sigmas: Optional[Sequence[float]] = None) -> None:
        if min_track_length < 1:
            raise ValueError(f'min_track_length must be >= 1, got {min_track_length}')
        if merge and model is None:
            raise ValueError('track merging needs the correspondence `model` (or merge=False)')
        from .correspondence_tracker import correspondence_net
        self.model = correspondence_net(model, checkpoint, device) if merge else None
        self.merge = bool(merge)
        self.merge_cfg = dict(oks_threshold=float(oks_threshold), max_gap=int(max_gap),
                              joint_threshold=float(joint_threshold),
                              min_propagated_score=float(min_propagated_score),
                              min_joints=int(min_joints))
        self.affinity_window = int(affinity_window)
        self.min_track_length = int(min_track_length)
        self.sigmas = load_sigmas(metainfo, sigmas)
        self.reset()

    def reset(self) -> None:
        #: track id -> dict(count, first, last, centre, prev_centre); an anchor is
        #: (frame, offset, keypoints, scores, bbox)
        self._tracks: Dict[int, dict] = {}
        self._feats: Dict[int, object] = {}
        self._refs: Counter = Counter()

    def _ref(self, anchor, delta: int) -> None:
        if anchor is None or not self.merge:
            return
        f = anchor[0]
        self._refs[f] += delta
        if self._refs[f] <= 0:
            del self._refs[f]
            self._feats.pop(f, None)

    def observe(self, index: int, tracked: InstanceData,
                ctx: Optional[FrameContext] = None) -> None:
        """Update the per-track summaries with frame ``index``'s tracked poses."""
        if len(tracked) == 0:
            return
        if self.merge:
            if ctx is None or ctx.image is None:
                raise ValueError('CorrespondenceTrackMerging needs the frame (ctx) to keep the '
                                 'correspondence features of its anchor poses')
            from .correspondence_tracker import cached_frame_features
            self._feats[index] = cached_frame_features(ctx, self.model)
        ids = np.asarray(tracked.track_ids).reshape(-1)
        kpts = np.asarray(tracked.keypoints, np.float64)
        scores = np.asarray(tracked.keypoint_scores, np.float64)
        boxes = (np.asarray(tracked.bboxes, np.float64).reshape(-1, 4) if 'bboxes' in tracked
                 else np.concatenate([kpts.min(1), kpts.max(1)], axis=1))
        for i, tid in enumerate(ids.tolist()):
            s = self._tracks.get(tid)
            offset = 0 if s is None else s['count']
            anchor = (index, offset, kpts[i].copy(), scores[i].copy(), boxes[i].copy())
            if s is None:
                s = self._tracks[tid] = dict(count=0, first=anchor, last=None, centre=None,
                                             prev_centre=None)
                self._ref(anchor, +1)
            if offset and offset & (offset - 1) == 0:  # a power of two: new centre candidate
                self._ref(s['prev_centre'], -1)
                s['prev_centre'], s['centre'] = s['centre'], anchor
                self._ref(anchor, +1)
            self._ref(s['last'], -1)
            s['last'] = anchor
            self._ref(anchor, +1)
            s['count'] += 1
        if self.merge and index in self._feats and self._refs[index] == 0:
            del self._feats[index]
            del self._refs[index]

    def _anchor_table(self) -> Dict[int, Dict[int, Tuple]]:
        table = {}
        for tid, s in self._tracks.items():
            mid = s['count'] // 2
            cands = [a for a in (s['centre'], s['prev_centre']) if a is not None]
            chosen = [min(cands, key=lambda a: abs(a[1] - mid))] if cands else []
            table[tid] = {a[0]: (a[2], a[3], a[4]) for a in [s['first'], *chosen, s['last']]}
        return table

    def finalize(self, edits: TrackEdits, read_frame=None) -> TrackEdits:
        """Merge, then drop short tracks; composed after ``edits``."""
        if not self._tracks:
            return edits
        root = {tid: tid for tid in self._tracks}
        if self.merge:
            def propagate(src, dst, keypoints, valid):
                prop = propagate_keypoints(self.model, self._feats[src], self._feats[dst],
                                           keypoints, valid, window=self.affinity_window)
                return prop.keypoints.astype(np.float64), prop.scores
            root = merge_track_table(self._anchor_table(), propagate, self.sigmas,
                                     **self.merge_cfg)
        lengths: Counter = Counter()
        for tid, s in self._tracks.items():
            lengths[root[tid]] += s['count']
        out = edits.remap({edits.final_id(k): v for k, v in root.items() if k != v})
        short = [r for r, n in lengths.items() if n < self.min_track_length]
        if short:
            out = out.drop(out.final_id(r) for r in short)
        self.reset()
        return out

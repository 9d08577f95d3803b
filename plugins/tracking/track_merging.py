"""Offline merging of track fragments by keypoint correspondences and OKS."""
import warnings
from collections import Counter, defaultdict
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

import numpy as np
from mmengine.structures import InstanceData

from plugins.models.correspondence.propagation import propagate_keypoints
from plugins.registry import POST_PROCESSORS
from plugins.utils.keypoint_similarity import pairwise_oks
from .frame_context import FrameContext
from .oks_tracker import DEFAULT_METAINFO, load_sigmas
from .post_processor import BasePostProcessor
from .track_edits import TrackEdits

#: ``propagate(src, dst, keypoints (M, K, 2), valid (M, K))`` ->
#: ``(keypoints (M, K, 2) in dst, scores (M, K))``; ``src`` / ``dst`` are what the frames were
#: observed with (:meth:`TrackMerger.observe`'s ``payload``: e.g. correspondence features), or
#: the frame indices when no payload was given.
PropagateFn = Callable[[Any, Any, np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]

#: one pose of a track: (frame, offset in the track, keypoints (K, 2), scores (K,), bbox (4,))
Anchor = Tuple[int, int, np.ndarray, np.ndarray, np.ndarray]


class _Track:
    """What the merger keeps of one track until its merge decisions are final."""

    __slots__ = ('tid', 'count', 'first', 'last', 'centre', 'prev_centre', 'anchors', 'held',
                 'closed', 'succ_complete', 'pred_complete', 'out', 'into', 'chain')

    def __init__(self, tid: int, anchor: Anchor) -> None:
        self.tid = tid
        self.count = 0
        self.first: Anchor = anchor
        self.last: Optional[Anchor] = None
        self.centre: Optional[Anchor] = None
        self.prev_centre: Optional[Anchor] = None
        self.anchors: List[Anchor] = []  # start, centre, end: set when the track closes
        self.held: List[Anchor] = []  # the poses whose frames' payload it holds (closed)
        self.closed = False
        self.succ_complete = self.pred_complete = False  # every candidate pair scored
        self.out: Dict[int, tuple] = {}  # undecided pairs (self, b): b -> rank key
        self.into: Dict[int, tuple] = {}  # undecided pairs (a, self): a -> rank key
        self.chain: Optional['_Chain'] = None


class _Chain:
    """Tracks joined so far: the first one's id, the ids still undecided, the total length.

    ``head_final``: the first track can get no predecessor any more, so decided members can
    be forgotten (their final id is known) while the chain still grows at its end."""

    __slots__ = ('head', 'live', 'length', 'head_final')

    def __init__(self, track: _Track) -> None:
        self.head = track.tid
        self.live = {track.tid}
        self.length = 0
        self.head_final = False


class TrackMerger:
    """Joins track fragments that belong to one person, streaming, in bounded memory.

    For every pair of tracks (A, B) where B starts after A ends, within ``max_gap`` frames:
    A's start, centre and end poses are propagated (``propagate``) to B's first frame and
    compared by OKS with B's first pose, and B's start, centre and end poses are propagated to
    A's last frame and compared with A's last pose. The pair's score is the mean OKS of the
    anchors that kept at least ``min_joints`` joints. Pairs are merged greedily, best first
    (ties: the larger ``(A, B)`` first), above ``oks_threshold``; each track gets at most one
    predecessor and one successor, and a merged chain takes the id of its first track.

    Streaming: a track *closes* ``close_after`` frames after it was last seen (the tracker's
    ``max_age``: it cannot come back). A pair is scored as soon as both of its
    tracks are closed, and a pair is accepted as soon as every candidate pair of both of its
    tracks is scored and it outranks all of them that are still undecided -- the locally
    heaviest-edge rule, which accepts exactly the pairs of the global best-first greedy. Once
    every pair of a track is scored, its poses and the ``payload`` of their frames are dropped;
    once a chain is decided, its tracks are forgotten (only the final id map and the dropped
    ids remain). So the state is bounded by the tracks alive within ``max_gap + close_after``
    frames, not by the length of the video, and the result equals the whole-video greedy.

    Anchors: per track its first and last pose and, as its centre, the pose at offset 2^m or
    2^(m-1) (m the largest with 2^m < its length) nearer the true middle; the two candidates
    are the only other poses kept while the track grows (the exact middle would need all).

    Args:
        propagate: moves poses between two frames (see :data:`PropagateFn`).
        sigmas: (K,) per-joint OKS falloffs.
        oks_threshold: minimum score of a merge.
        max_gap: largest number of frames between A's end and B's start.
        joint_threshold: joints scored below it are not propagated / compared.
        min_propagated_score: propagated joints with a lower affinity peak are dropped.
        min_joints: anchors with fewer usable joints are skipped.
        close_after: a track can come back at most this many frames after it was last seen
            (the tracker's ``max_age``: it keeps tracks while ``frame - last_frame <=
            max_age``); None: tracks close only at :meth:`finalize` (memory grows with the
            video).
        merge: False: no pairs (only the lengths, for ``min_track_length``).
        min_track_length: merged tracks with fewer frames are reported in ``dropped``.
    """

    def __init__(self, propagate: Optional[PropagateFn], sigmas: Sequence[float],
                 oks_threshold: float = 0.5, max_gap: int = 30, joint_threshold: float = 0.4,
                 min_propagated_score: float = 0.05, min_joints: int = 3,
                 close_after: Optional[int] = None, merge: bool = True,
                 min_track_length: int = 1) -> None:
        if merge and propagate is None:
            raise ValueError('merging needs `propagate` (or merge=False)')
        if close_after is not None and close_after < 1:
            raise ValueError(f'close_after must be >= 1 or None, got {close_after}')
        self.propagate = propagate
        self.sigmas = np.asarray(sigmas, np.float64)
        self.oks_threshold = float(oks_threshold)
        self.max_gap = int(max_gap)
        self.joint_threshold = float(joint_threshold)
        self.min_propagated_score = float(min_propagated_score)
        self.min_joints = int(min_joints)
        self.close_after = None if close_after is None else int(close_after)
        self.merge = bool(merge)
        self.min_track_length = int(min_track_length)
        self.reset()

    def reset(self) -> None:
        """Start a new video."""
        self.index = -1
        self.tracks: Dict[int, _Track] = {}  # undecided tracks
        #: the decisions so far: merged id -> first id of its chain; dropped first ids
        self.id_map: Dict[int, int] = {}
        self.dropped: Set[int] = set()
        self._payload: Dict[int, Any] = {}
        self._refs: Counter = Counter()
        self._open_last: Dict[int, Set[int]] = defaultdict(set)  # last frame -> open ids
        self._open_first: Counter = Counter()  # first frame -> number of open tracks
        self._closed_first: Dict[int, Set[int]] = defaultdict(set)  # pred not complete
        self._closed_last: Dict[int, Set[int]] = defaultdict(set)  # succ not complete
        self._pending: Set[int] = set()  # closed, a side not complete
        self._revived_warned = False

    # ------------------------------------------------------------------ bookkeeping
    def _ref(self, anchor: Optional[Anchor], delta: int) -> None:
        if anchor is None:
            return
        f = anchor[0]
        self._refs[f] += delta
        if self._refs[f] <= 0:
            del self._refs[f]
            self._payload.pop(f, None)

    @property
    def kept_frames(self) -> List[int]:
        """The frames whose payload is kept (anchors of tracks with unscored pairs)."""
        return sorted(self._payload)

    # ------------------------------------------------------------------ online
    def observe(self, index: int, track_ids: np.ndarray, keypoints: np.ndarray,
                keypoint_scores: np.ndarray, bboxes: np.ndarray, payload: Any = None) -> None:
        """Add frame ``index`` (frames in increasing order; empty frames may be skipped).

        Args:
            track_ids: (N, ) int; keypoints (N, K, 2); keypoint_scores (N, K); bboxes (N, 4).
            payload: what ``propagate`` needs of this frame (kept while an anchor needs it).
        """
        if index <= self.index:
            raise ValueError(f'frames must come in increasing order: got {index} after '
                             f'{self.index}')
        self._advance(index - 1)
        self.index = index
        ids = np.asarray(track_ids).reshape(-1)
        if len(ids):
            self._payload[index] = index if payload is None else payload
        for i, tid in enumerate(ids.tolist()):
            anchor = (index, 0, np.asarray(keypoints[i], np.float64),
                      np.asarray(keypoint_scores[i], np.float64),
                      np.asarray(bboxes[i], np.float64))
            t = self.tracks.get(tid)
            if t is not None and t.closed:
                self._revived(tid, index)
                t.count += 1
                t.chain.length += 1
                continue
            if t is None:
                if tid in self.id_map or tid in self.dropped:
                    self._revived(tid, index)
                t = self.tracks[tid] = _Track(tid, anchor)
                t.chain = _Chain(t)
                self._ref(anchor, +1)
                self._open_first[index] += 1
            else:
                anchor = (index, t.count) + anchor[2:]
                self._open_last[t.last[0]].discard(tid)
                if not self._open_last[t.last[0]]:
                    del self._open_last[t.last[0]]
                offset = t.count
                if offset & (offset - 1) == 0:  # a power of two: a new centre candidate
                    self._ref(t.prev_centre, -1)
                    t.prev_centre, t.centre = t.centre, anchor
                    self._ref(anchor, +1)
                self._ref(t.last, -1)
            t.last = anchor
            self._ref(anchor, +1)
            t.count += 1
            t.chain.length += 1
            self._open_last[index].add(tid)
        if index not in self._refs:
            self._payload.pop(index, None)
        self._advance(index)

    def _revived(self, tid: int, index: int) -> None:
        if not self._revived_warned:
            self._revived_warned = True
            warnings.warn(f'track {tid} came back at frame {index} after being missed for more '
                          f'than close_after={self.close_after} frames: its new frames keep '
                          f'its id but are not merged again (set close_after >= the '
                          f"tracker's max_age)")

    def _advance(self, index: int) -> None:
        """Close the tracks missed for more than ``close_after`` frames up to ``index`` and
        decide what can be decided."""
        if self.close_after is None:
            return
        limit = index - self.close_after  # tracks last seen at or before it cannot come back
        closing = [tid for f in sorted(f for f in self._open_last if f <= limit)
                   for tid in self._open_last.pop(f)]
        if closing:
            self._close(closing)
        self._settle(index)

    def finalize(self) -> Tuple[Dict[int, int], Set[int]]:
        """Close every track and decide the rest.

        Returns:
            ``id_map`` (merged track id -> first id of its chain; ids not in it are kept) and
            the first ids of the chains shorter than ``min_track_length`` (``dropped``).
        """
        closing = [tid for f in sorted(self._open_last) for tid in self._open_last[f]]
        self._open_last.clear()
        if closing:
            self._close(closing)
        self._settle(None)
        id_map, dropped = self.id_map, self.dropped
        self.reset()
        return id_map, dropped

    # ------------------------------------------------------------------ closing and scoring
    def _close(self, tids: List[int]) -> None:
        new_pairs = set()
        for tid in tids:
            t = self.tracks[tid]
            t.closed = True
            self._open_first[t.first[0]] -= 1
            if self._open_first[t.first[0]] <= 0:
                del self._open_first[t.first[0]]
            mid = t.count // 2
            cands = [a for a in (t.centre, t.prev_centre) if a is not None]
            chosen = min(cands, key=lambda a: abs(a[1] - mid)) if cands else None
            for a in (t.centre, t.prev_centre):
                if a is not chosen:
                    self._ref(a, -1)
            t.centre = t.prev_centre = None
            t.held = [a for a in (t.first, chosen, t.last) if a is not None]
            anchors = {a[0]: a for a in t.held}
            t.anchors = [anchors[f] for f in sorted(anchors)]
            self._closed_first[t.first[0]].add(tid)
            self._closed_last[t.last[0]].add(tid)
            self._pending.add(tid)
            if not self.merge:
                continue
            lo, hi = t.last[0] + 1, t.last[0] + self.max_gap  # successors start in [lo, hi]
            for f in range(lo, hi + 1):
                for b in self._closed_first.get(f, ()):
                    if b != tid:
                        new_pairs.add((tid, b))
            lo, hi = t.first[0] - self.max_gap, t.first[0] - 1  # predecessors end in [lo, hi]
            for f in range(lo, hi + 1):
                for a in self._closed_last.get(f, ()):
                    if a != tid:
                        new_pairs.add((a, tid))
        if new_pairs:
            self._score(sorted(new_pairs))

    def _score(self, pairs: List[Tuple[int, int]]) -> None:
        """Score the pairs (A, B) of closed tracks; one ``propagate`` call per frame pair."""
        queries: Dict[Tuple[int, int], List[Tuple[int, int, int]]] = defaultdict(list)
        for p, (a, b) in enumerate(pairs):
            ta, tb = self.tracks[a], self.tracks[b]
            for anc in ta.anchors:  # A's anchors -> B's first pose
                queries[(anc[0], tb.first[0])].append((p, a, b))
            for anc in tb.anchors:  # B's anchors -> A's last pose
                queries[(anc[0], ta.last[0])].append((p, b, a))
        oks: Dict[int, List[float]] = defaultdict(list)
        for (src, dst), items in sorted(queries.items()):
            srcs = [self._anchor_at(s, src) for _, s, _ in items]
            kpts = np.stack([a[2] for a in srcs])
            valid = np.stack([a[3] >= self.joint_threshold for a in srcs])
            prop, prop_scores = self.propagate(self._payload[src], self._payload[dst], kpts,
                                               valid)
            usable = valid & (np.asarray(prop_scores) >= self.min_propagated_score)
            for i, (p, _, target) in enumerate(items):
                ref = self._anchor_at(target, dst)
                counted = usable[i] & (ref[3] >= self.joint_threshold)
                if counted.sum() < self.min_joints:
                    continue
                box = ref[4]
                area = max((box[2] - box[0]) * (box[3] - box[1]), 1.0)
                oks[p].append(float(pairwise_oks(
                    ref[2][None], np.asarray(prop[i], np.float64)[None], self.sigmas,
                    np.array([area]), visible_a=counted[None])[0, 0]))
        for p, values in oks.items():
            score = float(np.mean(values))
            if score < self.oks_threshold:
                continue
            a, b = pairs[p]
            key = (score, a, b)
            self.tracks[a].out[b] = key
            self.tracks[b].into[a] = key

    def _anchor_at(self, tid: int, frame: int) -> Anchor:
        t = self.tracks[tid]
        for a in t.anchors:
            if a[0] == frame:
                return a
        raise KeyError(f'track {tid} has no anchor at frame {frame}')  # not reached

    # ------------------------------------------------------------------ deciding
    def _settle(self, index: Optional[int]) -> None:
        """Mark complete sides (every candidate pair scored) and accept the pairs that
        outrank every undecided pair of both their tracks; ``index`` None: the video ended."""
        newly = []
        for tid in list(self._pending):
            t = self.tracks[tid]
            if not t.succ_complete and self._succ_scored(t, index):
                t.succ_complete = True
                self._closed_last[t.last[0]].discard(tid)
                if not self._closed_last[t.last[0]]:
                    del self._closed_last[t.last[0]]
                newly.append(tid)
            if not t.pred_complete and self._pred_scored(t, index):
                t.pred_complete = True
                self._closed_first[t.first[0]].discard(tid)
                if not self._closed_first[t.first[0]]:
                    del self._closed_first[t.first[0]]
                newly.append(tid)
            if t.succ_complete and t.pred_complete:
                self._pending.discard(tid)
                for a in t.held:  # every pair of this track is scored: drop its poses
                    self._ref(a, -1)
                t.held, t.anchors, t.first, t.last = [], [], t.first[:2], t.last[:2]
        work = list(dict.fromkeys(newly))
        while work:
            tid = work.pop()
            t = self.tracks.get(tid)
            if t is None:
                continue
            for b in ([max(t.out, key=t.out.get)] if t.out else []):
                work.extend(self._try_accept(tid, b))
            for a in ([max(t.into, key=t.into.get)] if t.into else []):
                work.extend(self._try_accept(a, tid))
            self._try_finish(tid)

    def _succ_scored(self, t: _Track, index: Optional[int]) -> bool:
        if not self.merge:
            return True
        last = t.last[0]
        if index is not None:
            if index < last + self.max_gap:
                return False  # a successor may still start
            if any(self._open_first.get(f) for f in range(last + 1, last + self.max_gap + 1)):
                return False  # a successor is still open
        return True

    def _pred_scored(self, t: _Track, index: Optional[int]) -> bool:
        if not self.merge or index is None:
            return True
        first = t.first[0]
        return not any(self._open_last.get(f) for f in range(first - self.max_gap, first))

    def _try_accept(self, a: int, b: int) -> List[int]:
        """Accept pair (a, b) if it may be decided; the tracks to look at again."""
        ta, tb = self.tracks[a], self.tracks[b]
        if not (ta.succ_complete and tb.pred_complete):
            return []
        key = ta.out[b]
        if max(ta.out.values()) != key or max(tb.into.values()) != key:
            return []
        touched = [a, b]
        for other in list(ta.out):  # a takes b: a's other successors lose a
            if other != b:
                del self.tracks[other].into[a]
                touched.append(other)
        for other in list(tb.into):
            if other != a:
                del self.tracks[other].out[b]
                touched.append(other)
        ta.out, tb.into = {}, {}  # decided: a's successor is b (the chain records it)
        chain, tail = ta.chain, tb.chain  # tail: b's chain, b its undecided first track
        chain.live |= tail.live
        chain.length += tail.length
        for m in tail.live:
            self.tracks[m].chain = chain
        return touched + list(tail.live)  # decided ones go once the chain's head is final

    def _decided(self, t: _Track) -> bool:
        return t.succ_complete and t.pred_complete and not t.out and not t.into

    def _try_finish(self, tid: int) -> None:
        """Forget the decided tracks of a chain whose first track is final (record their id
        map); a chain with nothing undecided is complete (dropped if short)."""
        t = self.tracks.get(tid)
        if t is None:
            return
        chain = t.chain
        if not chain.head_final:
            if tid != chain.head or not (t.pred_complete and not t.into):
                return
            chain.head_final = True  # no predecessor any more
            for m in list(chain.live):
                self._forget(self.tracks[m])
        else:
            self._forget(t)

    def _forget(self, t: _Track) -> None:
        if not self._decided(t):
            return
        chain = t.chain
        del self.tracks[t.tid]
        self._pending.discard(t.tid)
        chain.live.discard(t.tid)
        if t.tid != chain.head:
            self.id_map[t.tid] = chain.head
        if not chain.live and chain.length < self.min_track_length:
            self.dropped.add(chain.head)


def _frame_fields(f: int, inst: InstanceData, who: str):
    """``(track_ids, keypoints, keypoint_scores, bboxes)`` of one frame's tracked poses."""
    if 'track_ids' not in inst:
        raise ValueError(f'frame {f}: results need "track_ids" to {who}')
    kpts = np.asarray(inst.keypoints, np.float64)
    boxes = (np.asarray(inst.bboxes, np.float64).reshape(-1, 4) if 'bboxes' in inst
             else np.concatenate([kpts.min(1), kpts.max(1)], axis=1))
    return (np.asarray(inst.track_ids).reshape(-1), kpts,
            np.asarray(inst.keypoint_scores, np.float64), boxes)


def merge_tracks(results: Sequence[InstanceData],
                 propagate: PropagateFn,
                 sigmas: Sequence[float],
                 oks_threshold: float = 0.5,
                 max_gap: int = 30,
                 joint_threshold: float = 0.4,
                 min_propagated_score: float = 0.05,
                 min_joints: int = 3) -> List[InstanceData]:
    """Join the track fragments of a whole tracked video (:class:`TrackMerger`'s rule).

    Args:
        results: per-frame poses with ``track_ids`` (the tracker's output, in frame order).
        propagate: ``propagate(src_frame, dst_frame, keypoints, valid)`` (frame indices).
        sigmas, oks_threshold, ...: as :class:`TrackMerger`.

    Returns:
        New per-frame ``InstanceData`` with the merged ``track_ids`` (inputs not modified).
    """
    merger = TrackMerger(propagate, sigmas, oks_threshold, max_gap, joint_threshold,
                         min_propagated_score, min_joints)
    for f, inst in enumerate(results):
        if len(inst):
            merger.observe(f, *_frame_fields(f, inst, 'merge tracks'))
    id_map, _ = merger.finalize()
    out = []
    for inst in results:
        new = inst.clone()
        if len(inst):
            new.track_ids = np.array([id_map.get(int(t), int(t))
                                      for t in np.asarray(inst.track_ids)], dtype=np.int64)
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


@POST_PROCESSORS.register_module()
class CorrespondenceTrackMerging(BasePostProcessor):
    """Per-video post-processor: offline track merging by keypoint correspondences (the
    paper's supplementary step, :class:`TrackMerger`) followed by the removal of tracks
    shorter than ``min_track_length`` frames (false-positive pruning).

    Bounded memory: the merger decides while the video streams (a track's pairs are scored
    once it and its candidates can no longer continue, ``close_after`` frames after they were
    last seen) and keeps only the undecided tracks' anchor poses and the correspondence
    features of their frames (shared with the tracker through ``ctx.cache``): a window of
    ``max_gap + close_after`` frames, not the video. Its result equals the whole-video greedy.

    Args:
        model: the :class:`CorrespondenceNet` (config, dict, or the pipeline's shared
            ``dict(shared='corr_net')``); not needed (None) with ``merge=False``.
        checkpoint, device: as the tracker's.
        merge: join fragments (False: only remove short tracks).
        oks_threshold, max_gap, joint_threshold, min_propagated_score, min_joints: as
            :class:`TrackMerger`.
        affinity_window: neighbourhood radius (map cells) of the propagated joints' scores.
        min_track_length: merged tracks with fewer frames are dropped (1: keep all).
        close_after: how many frames after it was last seen a track may still continue;
            None: the pipeline's tracker's ``max_age`` (:meth:`bind_tracker`), or, used
            without a pipeline, the end of the video (state grows with the video).
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
                 close_after: Optional[int] = None,
                 metainfo: Optional[Union[str, dict]] = DEFAULT_METAINFO,
                 sigmas: Optional[Sequence[float]] = None) -> None:
        if min_track_length < 1:
            raise ValueError(f'min_track_length must be >= 1, got {min_track_length}')
        if merge and model is None:
            raise ValueError('track merging needs the correspondence `model` (or merge=False)')
        from .correspondence_tracker import correspondence_net
        self.model = correspondence_net(model, checkpoint, device) if merge else None
        self.merge = bool(merge)
        self.affinity_window = int(affinity_window)
        self.min_track_length = int(min_track_length)
        self.sigmas = load_sigmas(metainfo, sigmas)
        self.merger = TrackMerger(self._propagate if merge else None, self.sigmas,
                                  oks_threshold=oks_threshold, max_gap=max_gap,
                                  joint_threshold=joint_threshold,
                                  min_propagated_score=min_propagated_score,
                                  min_joints=min_joints, close_after=close_after,
                                  merge=merge, min_track_length=min_track_length)

    def bind_tracker(self, tracker) -> None:
        """Close tracks after the tracker's ``max_age`` unless ``close_after`` was set."""
        if self.merger.close_after is None and getattr(tracker, 'max_age', None) is not None:
            self.merger.close_after = max(1, int(tracker.max_age))

    def _propagate(self, src, dst, keypoints, valid):
        prop = propagate_keypoints(self.model, src, dst, keypoints, valid,
                                   window=self.affinity_window)
        return prop.keypoints.astype(np.float64), prop.scores

    def reset(self) -> None:
        self.merger.reset()

    def observe(self, index: int, tracked: InstanceData,
                ctx: Optional[FrameContext] = None) -> None:
        """Feed frame ``index``'s tracked poses (and its correspondence features) to the
        merger."""
        if len(tracked) == 0:  # time goes on: tracks close, pairs get decided
            k = len(self.sigmas)
            self.merger.observe(index, np.zeros(0, np.int64), np.zeros((0, k, 2)),
                                np.zeros((0, k)), np.zeros((0, 4)))
            return
        payload = None
        if self.merge:
            if ctx is None or ctx.image is None:
                raise ValueError('CorrespondenceTrackMerging needs the frame (ctx) to keep the '
                                 'correspondence features of its anchor poses')
            from .correspondence_tracker import cached_frame_features
            payload = cached_frame_features(ctx, self.model)
        self.merger.observe(index, *_frame_fields(index, tracked, 'merge tracks'),
                            payload=payload)

    def finalize(self, edits: TrackEdits, read_frame=None) -> TrackEdits:
        """Merge, then drop short tracks; composed after ``edits``."""
        id_map, short = self.merger.finalize()
        out = edits.remap({edits.final_id(k): v for k, v in id_map.items()}) if id_map \
            else edits
        if short:
            out = out.drop(out.final_id(r) for r in short)
        return out

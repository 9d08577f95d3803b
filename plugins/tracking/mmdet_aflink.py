"""AFLink (appearance-free tracklet linking, from StrongSORT) as a pose post-processor.

mmdet 3.3's ``AppearanceFreeLink`` (``mmdet/models/task_modules/tracking/aflink.py``) links a
tracklet ``j`` to an earlier tracklet ``i`` when ``j`` starts shortly after ``i`` ends (the
*temporal* constraint on the gap in frames), starts near where ``i`` ended (the *spatial*
constraint on the distance of the boxes' top-left corners, pixels) and its ``AFLinkModel``
(two temporal conv branches over the last 30 rows ``(frame, x1, y1, w, h)`` of ``i`` and the
first 30 of ``j``, min-max normalised together, and a classifier) says ``confidence >=
confidence_threshold``; the links are one Hungarian assignment on ``1 - confidence``.

:class:`AFLink` uses mmdet's model, checkpoint loading and ``data_transform``; it keeps per
track only those 2 x 30 rows (observed frame by frame) and returns the links as an id map
(:class:`~plugins.tracking.track_edits.TrackEdits`). It does the linking itself because
mmdet's ``forward`` mixes indices and ids: it writes the *row indices* of its cost matrix
(tracks in order of first appearance) into the id column, which links the wrong tracks unless
the ids happen to be ``0, 1, 2, ...`` in that order; chains ``a <- b <- c`` are resolved to
the earliest id here. A link needs ``j`` to start after ``i`` ends (gap >= 1; mmdet's lower
bound 0 lets the two share a frame and then drops one of the two poses there, which edits that
only rename ids cannot express).

The checkpoint is mmdet's AFLink model trained on MOT17
(``https://download.openmmlab.com/mmtracking/mot/strongsort/mot_dataset/aflink_motchallenge_20220812_190310-a7578ad3.pth``,
downloaded by mmengine on first use); ``checkpoint=None`` keeps a random initialisation (tests).
"""
from collections import deque
from dataclasses import dataclass, field
from typing import Deque, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.structures import InstanceData
from scipy.optimize import linear_sum_assignment

from plugins.registry import POST_PROCESSORS
from .frame_context import FrameContext
from .post_processor import BasePostProcessor
from .track_edits import TrackEdits

#: mmdet's MOT17 AFLink checkpoint (mmdet::strongsort configs).
AFLINK_CHECKPOINT = ('https://download.openmmlab.com/mmtracking/mot/strongsort/mot_dataset/'
                     'aflink_motchallenge_20220812_190310-a7578ad3.pth')
INFINITY = 1e5  # mmdet's "no link" cost


@dataclass
class _Ends:
    """The first and last ``length`` rows ``(frame, x1, y1, w, h)`` of one tracklet."""

    length: int
    head: List[Tuple[float, ...]] = field(default_factory=list)
    tail: Deque[Tuple[float, ...]] = None

    def __post_init__(self) -> None:
        self.tail = deque(maxlen=self.length)

    def add(self, row: Tuple[float, ...]) -> None:
        if len(self.head) < self.length:
            self.head.append(row)
        self.tail.append(row)


def batched_confidence(model: torch.nn.Module, tracks1: torch.Tensor,
                       tracks2: torch.Tensor) -> torch.Tensor:
    """mmdet's ``AFLinkModel.forward`` for a batch of pairs (it returns only the first pair's).

    Args:
        model: an ``mmdet`` ``AFLinkModel`` in eval mode.
        tracks1, tracks2: (B, 1, L, C) normalised rows (only the first 3 channels are used).

    Returns:
        (B,) probability that each pair is one person.
    """
    x1 = model.TemporalModule_1(tracks1[:, :, :, :3])
    x2 = model.TemporalModule_2(tracks2[:, :, :, :3])
    x1 = model.pooling(model.FusionBlock_1(x1)).flatten(1)
    x2 = model.pooling(model.FusionBlock_2(x2)).flatten(1)
    return torch.softmax(model.classifier(x1, x2), dim=1)[:, 1]


def link_ids(cost: np.ndarray, ids: Sequence[int]) -> Dict[int, int]:
    """Links from a cost matrix (row: earlier tracklet, column: later one).

    Args:
        cost: (T, T) ``1 - confidence``, ``INFINITY`` where no link is allowed.
        ids: (T,) the tracklets' ids, in the matrix's order.

    Returns:
        ``{later id: earliest id of its chain}`` for the linked tracklets.
    """
    rows, cols = linear_sum_assignment(cost)
    parent = {}
    for i, j in zip(rows.tolist(), cols.tolist()):
        if cost[i, j] < INFINITY:
            parent[int(ids[j])] = int(ids[i])
    out = {}
    for later in parent:
        root, seen = later, set()
        while root in parent and root not in seen:
            seen.add(root)
            root = parent[root]
        out[later] = root
    return out


@POST_PROCESSORS.register_module()
class AFLink(BasePostProcessor):
    """Appearance-free linking of tracklets (mmdet's AFLink model) for any tracker.

    Args:
        checkpoint: AFLink model weights (path or URL, loaded with mmengine's
            ``load_checkpoint`` by mmdet's ``AppearanceFreeLink``); None: random weights.
        temporal_threshold: ``(lo, hi)``: frames from the end of a tracklet to the start of
            the next, ``lo >= 1`` (mmdet's StrongSORT: (0, 30), see the module docstring).
        spatial_threshold: largest distance in pixels between the top-left corners of the
            last box of the first tracklet and the first box of the second (mmdet's StrongSORT
            config: 50; mmdet's default: 75).
        confidence_threshold: smallest model confidence for a link (mmdet: 0.95).
        length: rows per tracklet end the model reads (mmdet: 30).
        device: where the model runs.
    """

    def __init__(self,
                 checkpoint: Optional[str] = AFLINK_CHECKPOINT,
                 temporal_threshold: Tuple[int, int] = (1, 30),
                 spatial_threshold: float = 75.0,
                 confidence_threshold: float = 0.95,
                 length: int = 30,
                 device: str = 'cpu') -> None:
        lo, hi = (int(v) for v in temporal_threshold)
        if lo < 1 or hi < lo:
            raise ValueError(f'temporal_threshold must be (lo, hi) with 1 <= lo <= hi, got '
                             f'{temporal_threshold}')
        from mmdet.models.task_modules.tracking import AppearanceFreeLink
        self.aflink = AppearanceFreeLink(checkpoint=checkpoint or '',
                                         temporal_threshold=(lo, hi),
                                         spatial_threshold=spatial_threshold,
                                         confidence_threshold=confidence_threshold)
        self.aflink.model.to(device).eval()
        self.aflink.device = torch.device(device)
        self.temporal_threshold = (lo, hi)
        self.spatial_threshold = float(spatial_threshold)
        self.confidence_threshold = float(confidence_threshold)
        self.length = int(length)
        self.reset()

    @property
    def model(self) -> torch.nn.Module:
        """mmdet's ``AFLinkModel``."""
        return self.aflink.model

    def reset(self) -> None:
        """Start a new video."""
        self._tracks: Dict[int, _Ends] = {}

    def observe(self, index: int, tracked: InstanceData,
                ctx: Optional[FrameContext] = None) -> None:
        """Keep the first / last ``length`` boxes of every track."""
        if len(tracked) == 0:
            return
        boxes = np.asarray(tracked.bboxes, np.float64).reshape(-1, 4)
        for tid, b in zip(np.asarray(tracked.track_ids).reshape(-1).tolist(), boxes):
            ends = self._tracks.get(tid)
            if ends is None:
                ends = self._tracks[tid] = _Ends(self.length)
            # mmdet's rows: frame (1-based, as mmdet's StrongSORT writes them), x1, y1, w, h
            ends.add((index + 1.0, b[0], b[1], b[2] - b[0], b[3] - b[1]))

    def tracklets(self, edits: TrackEdits) -> Dict[int, Tuple[np.ndarray, np.ndarray]]:
        """``{final id: (first rows (<= length, 5), last rows (<= length, 5))}`` after the
        id map of ``edits`` (dropped ids left out)."""
        groups: Dict[int, List[_Ends]] = {}
        for tid, ends in self._tracks.items():
            final = edits.final_id(tid)
            if final not in edits.dropped:
                groups.setdefault(final, []).append(ends)
        out = {}
        for final, parts in groups.items():
            head = sorted((r for p in parts for r in p.head), key=lambda r: r[0])
            tail = sorted((r for p in parts for r in p.tail), key=lambda r: r[0])
            out[final] = (np.array(head[:self.length]), np.array(tail[-self.length:]))
        return out

    def cost_matrix(self, tracklets: Dict[int, Tuple[np.ndarray, np.ndarray]]
                    ) -> Tuple[np.ndarray, List[int]]:
        """(T, T) link costs ``1 - confidence`` (``INFINITY``: not allowed) and the ids."""
        ids = sorted(tracklets, key=lambda t: (tracklets[t][0][0, 0], t))
        num = len(ids)
        cost = np.full((num, num), INFINITY)
        if num < 2:
            return cost, ids
        start = np.array([tracklets[t][0][0] for t in ids])  # first row of each tracklet
        end = np.array([tracklets[t][1][-1] for t in ids])  # last row
        gap = start[None, :, 0] - end[:, None, 0]  # (i, j): j's start - i's end
        dist = np.hypot(start[None, :, 1] - end[:, None, 1], start[None, :, 2] - end[:, None, 2])
        lo, hi = self.temporal_threshold
        allowed = (gap >= lo) & (gap <= hi) & (dist <= self.spatial_threshold)
        pairs = np.argwhere(allowed)
        if not len(pairs):
            return cost, ids
        t1, t2 = [], []
        for i, j in pairs:
            a, b = self.aflink.data_transform(tracklets[ids[i]][1], tracklets[ids[j]][0],
                                              self.length)
            t1.append(a)
            t2.append(b)
        dev = self.aflink.device
        x1 = torch.tensor(np.stack(t1), dtype=torch.float, device=dev)[:, None]
        x2 = torch.tensor(np.stack(t2), dtype=torch.float, device=dev)[:, None]
        with torch.no_grad():
            conf = batched_confidence(self.model, x1, x2).cpu().numpy()
        ok = conf >= self.confidence_threshold
        cost[pairs[ok, 0], pairs[ok, 1]] = 1 - conf[ok]
        return cost, ids

    def finalize(self, edits: TrackEdits, read_frame=None) -> TrackEdits:
        """``edits`` followed by the links (later tracklet -> earliest id of its chain)."""
        cost, ids = self.cost_matrix(self.tracklets(edits))
        if len(ids) < 2:
            return edits
        return edits.remap(link_ids(cost, ids))

"""Propagate poses from one video frame to another and map them back to image pixels.

The ONE implementation used by the correspondence tracker (similarity and duplicate removal),
the recovery of missed detections and the offline track merging: letter-box (the
:class:`~plugins.datasets.transforms.LetterboxImage` function), Siamese features, affinity maps
of the query joints (Siamese softmax or refined), the shared decoder
(:func:`~plugins.codecs.correspondence_maps.decode_affinity_maps`) and the inverse letter-box.

Typical use (features computed once per frame and cached, e.g. in ``FrameContext.cache``)::

    fa, fb = frame_features(net, [frame_a, frame_b])        # or net.frame_features(...)
    prop = propagate_keypoints(net, fa, fb, keypoints, valid, window=0, return_maps=True)
    prop.keypoints      # (N, K, 2) where A's joints are in B, B's image pixels
    prop.scores         # (N, K) confidence of each propagated joint (0 for invalid queries)
    prop.affinity_at(det_keypoints)   # (N, M, K) each query's map at M poses' joints (B pixels)

Raw frames may be passed instead of :class:`FrameFeatures` (their features are then computed,
both in one batch, and returned in ``prop.source`` / ``prop.target`` for reuse).
"""
from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from plugins.codecs.correspondence_maps import read_affinity
from plugins.utils.affine import apply_affine, invert_affine


class FrameFeatures(NamedTuple):
    """One frame's correspondence features.

    Attributes:
        feats: (C, h, w) L2-normalised Siamese features of the letter-boxed frame, on the
            network's device.
        matrix: (2, 3) float64 affine map image pixels -> network input pixels.
        image_size: (W, H) of the frame as read.
    """
    feats: Tensor
    matrix: np.ndarray
    image_size: Tuple[int, int]


class Propagation(NamedTuple):
    """Poses of frame A propagated into frame B.

    Attributes:
        keypoints: (N, K, 2) float32, image pixels of frame B.
        scores: (N, K) float32 in [0, 1]: the (pooled) final affinity map at its peak; 0 for
            queries that were not valid.
        maps: the final :class:`~plugins.models.correspondence.correspondence_net.AffinityMaps`
            (N, K, h, w) on B's map grid when ``return_maps`` was set, else None.
        source, target: the :class:`FrameFeatures` of A and B (cache them).
        window: the reading window the scores used.
    """
    keypoints: np.ndarray
    scores: np.ndarray
    maps: Optional[object]
    source: FrameFeatures
    target: FrameFeatures
    window: int

    def affinity_at(self, points: Union[np.ndarray, Tensor],
                    window: Optional[int] = None) -> np.ndarray:
        """Each propagated joint's map read at candidate poses' joints.

        Args:
            points: (M, K, 2) joints of M poses in image pixels of frame B.
            window: reading radius in map cells (default: the propagation's).

        Returns:
            (N, M, K) float64 values in [0, 1] (bilinear; 0 outside the frame's input).

        Raises:
            ValueError: the propagation was made without ``return_maps=True``.
        """
        if self.maps is None:
            raise ValueError('affinity_at needs the maps: call propagate_keypoints(..., '
                             'return_maps=True)')
        pts = apply_affine(np.asarray(points, np.float64), self.target.matrix)
        vals = read_affinity(self.maps.maps, pts, self.maps.input_size, self.maps.reduce,
                             self.window if window is None else int(window))
        return vals.cpu().numpy().astype(np.float64)


@torch.no_grad()
def frame_features(net, frames: Sequence[np.ndarray]) -> List[FrameFeatures]:
    """Letter-box, normalise and encode frames with the network's Siamese branch (one batch).

    Args:
        net: a :class:`~plugins.models.correspondence.CorrespondenceNet`.
        frames: BGR images (H, W, 3) uint8.

    Returns:
        One :class:`FrameFeatures` per frame.
    """
    if len(frames) == 0:
        return []
    imgs, mats = net.prepare_frames(frames)
    feats = net.extract_feat(imgs)
    return [FrameFeatures(f, m, (int(fr.shape[1]), int(fr.shape[0])))
            for f, m, fr in zip(feats, mats, frames)]


def _features(net, frame_a, frame_b) -> Tuple[FrameFeatures, FrameFeatures]:
    raw = [f for f in (frame_a, frame_b) if not isinstance(f, FrameFeatures)]
    computed = iter(frame_features(net, raw))
    fa = frame_a if isinstance(frame_a, FrameFeatures) else next(computed)
    fb = frame_b if isinstance(frame_b, FrameFeatures) else next(computed)
    return fa, fb


@torch.no_grad()
def propagate_keypoints(net,
                        frame_a: Union[np.ndarray, FrameFeatures],
                        frame_b: Union[np.ndarray, FrameFeatures],
                        keypoints: np.ndarray,
                        valid: Optional[np.ndarray] = None,
                        window: int = 0,
                        return_maps: bool = False) -> Propagation:
    """Where the joints of poses in frame A are in frame B.

    Args:
        net: a :class:`~plugins.models.correspondence.CorrespondenceNet` (eval mode; its
            ``with_refinement`` chooses refined sigmoid maps or Siamese softmax maps).
        frame_a, frame_b: BGR frames (H, W, 3) uint8 or their cached :class:`FrameFeatures`.
        keypoints: (N, K, 2) joints of N poses in image pixels of frame A.
        valid: (N, K) bool, which joints to propagate (default all); invalid ones get zero
            maps and score 0.
        window: radius in map cells of the neighbourhood that scores (and
            :meth:`Propagation.affinity_at`) read: mass for softmax maps, max for sigmoid maps.
        return_maps: keep the affinity maps in the result (needed for ``affinity_at``).

    Returns:
        :class:`Propagation`: keypoints (N, K, 2) in B's image pixels, scores (N, K), the maps
        if asked, and both frames' features.

    Raises:
        ValueError: ``keypoints`` is not (N, K, 2) with the network's K, or ``valid`` does not
            match it.
    """
    kpts = np.asarray(keypoints, np.float64)
    k = net.num_keypoints
    if kpts.ndim != 3 or kpts.shape[1:] != (k, 2):
        raise ValueError(f'keypoints must be (N, {k}, 2) image pixels, got {kpts.shape}')
    n = kpts.shape[0]
    if valid is None:
        valid = np.ones((n, k), bool)
    valid = np.asarray(valid, bool)
    if valid.shape != (n, k):
        raise ValueError(f'valid must be ({n}, {k}), got {valid.shape}')
    fa, fb = _features(net, frame_a, frame_b)
    maps = net.propagate(fa.feats, fb.feats, apply_affine(kpts, fa.matrix), valid)
    pts, scores = net.maps_to_points(maps, window)
    pts = apply_affine(pts.cpu().numpy().astype(np.float64), invert_affine(fb.matrix))
    scores = scores.cpu().numpy() * valid
    return Propagation(pts.astype(np.float32), scores.astype(np.float32),
                       maps if return_maps else None, fa, fb, int(window))

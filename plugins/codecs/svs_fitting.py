"""Support Vector Shape (SVS) fitting: landmarks, band negatives, RBF SVMs, grid evaluation.

An SVS (Zhou, Deng, Zafeiriou) represents a shape by the decision function of a kernel SVM that
separates landmarks densely sampled on the shape (positives) from points sampled in a band
around it (negatives). For a body part the shape is its skeleton: the visible joints (points)
and the limbs between visible joints (curves, sampled densely).

All geometry here is done in a *canonical person frame* (see :func:`canonical_frame`): the
visible joints are centred on their centroid, scaled to unit RMS radius and rotated so that a
fixed reference joint lies on the +x axis. Every length parameter (landmark spacing, band radii,
RBF width) is therefore a fraction of the person's size, and the fitted SVS is equivariant to
any similarity transform of the pose (translation, rotation, isotropic scale): the SVS of an
augmented crop is the SVS of the annotation, mapped by the same transform. That is what makes
SVS fits cacheable per annotation although every training crop is augmented differently.
"""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
from sklearn.svm import SVC


@dataclass(frozen=True)
class SVSPart:
    """One SVS channel group: the joints and skeleton links of a body part.

    Args:
        name: part name (e.g. ``'left_arm'``).
        joints: keypoint indices of the part (points landmarks).
        links: (L, 2) keypoint index pairs of the part's limbs (curve landmarks).
    """

    name: str
    joints: Tuple[int, ...]
    links: Tuple[Tuple[int, int], ...]


@dataclass
class SVSFit:
    """The fitted SVMs of one person, in the canonical frame.

    Channel ``c`` (granularity-major: ``c = g * num_parts + p``) has the support vectors
    ``support_vectors[channel_index == c]`` with dual coefficients ``dual_coefs[...]`` and the
    intercept ``intercepts[c]``; ``valid[c]`` is False where the part had no visible joint (the
    channel's map is zero and its loss weight is zero).

    Args:
        support_vectors: (M, 2) float64 canonical coordinates.
        dual_coefs: (M,) float64 ``SVC.dual_coef_`` entries (label * alpha).
        channel_index: (M,) int64 channel of each support vector.
        intercepts: (C,) float64 ``SVC.intercept_`` of each channel.
        valid: (C,) bool.
        gamma: RBF ``gamma`` in canonical units (shared by all channels).
    """

    support_vectors: np.ndarray
    dual_coefs: np.ndarray
    channel_index: np.ndarray
    intercepts: np.ndarray
    valid: np.ndarray
    gamma: float

    @property
    def num_channels(self) -> int:
        """Number of SVS channels (parts x granularities)."""
        return int(self.intercepts.shape[0])


@dataclass(frozen=True)
class CanonicalFrame:
    """Similarity transform from image coordinates to the canonical person frame.

    ``q = R(-angle) @ (p - center) / scale``.

    Args:
        center: (2,) centroid of the visible joints.
        scale: RMS distance of the visible joints from the centroid (clamped below).
        angle: rotation (radians) that brings the reference joint onto the +x axis.
    """

    center: np.ndarray
    scale: float
    angle: float

    def from_canonical(self, points: np.ndarray) -> np.ndarray:
        """Map (..., 2) canonical points back into image coordinates."""
        cos, sin = np.cos(self.angle), np.sin(self.angle)
        q = np.asarray(points, dtype=np.float64) * self.scale
        return np.stack([cos * q[..., 0] - sin * q[..., 1], sin * q[..., 0] + cos * q[..., 1]],
                        axis=-1) + self.center

    def to_canonical(self, points: np.ndarray) -> np.ndarray:
        """Map (..., 2) image points into the canonical frame."""
        cos, sin = np.cos(self.angle), np.sin(self.angle)
        d = (np.asarray(points, dtype=np.float64) - self.center) / self.scale
        # rotation by -angle
        return np.stack([cos * d[..., 0] + sin * d[..., 1], -sin * d[..., 0] + cos * d[..., 1]],
                        axis=-1)


def canonical_frame(keypoints: np.ndarray, visible: np.ndarray, min_scale: float,
                    reference_ratio: float = 0.5) -> Optional[CanonicalFrame]:
    """The canonical person frame of a pose (see module docstring).

    The reference joint is the first visible joint (in keypoint order) whose distance from the
    centroid is at least ``reference_ratio`` times the RMS radius, which keeps the angle well
    conditioned; one always exists since the largest distance is at least the RMS radius.

    Args:
        keypoints: (K, 2) joint coordinates.
        visible: (K,) bool, joints that exist.
        min_scale: lower bound of the scale (degenerate poses: one joint, coincident joints).
        reference_ratio: see above.

    Returns:
        The frame, or None if no joint is visible.
    """
    pts = np.asarray(keypoints, dtype=np.float64)[visible]
    if pts.shape[0] == 0:
        return None
    center = pts.mean(axis=0)
    dist = np.linalg.norm(pts - center, axis=1)
    rms = float(np.sqrt(np.mean(dist**2)))
    scale = max(rms, float(min_scale))
    angle = 0.0
    if rms >= min_scale:
        ref = np.flatnonzero(dist >= reference_ratio * rms)[0]
        vec = pts[ref] - center
        angle = float(np.arctan2(vec[1], vec[0]))
    return CanonicalFrame(center=center, scale=scale, angle=angle)


def resolve_parts(parts: Sequence[Tuple[str, Sequence[str]]], keypoint_name2id: dict,
                  skeleton_links: Sequence[Tuple[int, int]]) -> List[SVSPart]:
    """Turn a part grouping given by joint names into index-based :class:`SVSPart` s.

    A part's limbs are the skeleton links (from the dataset metainfo) whose two joints both
    belong to the part. Names absent from the metainfo are skipped (so one grouping serves
    COCO and PoseTrack18, which differ in their head joints); ``'*'`` means every joint.

    Args:
        parts: ordered ``(part_name, joint_names)`` pairs.
        keypoint_name2id: the metainfo's ``keypoint_name2id``.
        skeleton_links: the metainfo's ``skeleton_links`` (index pairs).

    Returns:
        One :class:`SVSPart` per entry of ``parts``.

    Raises:
        ValueError: a part none of whose joints is in the metainfo.
    """
    resolved = []
    all_ids = sorted(keypoint_name2id.values())
    for name, joint_names in parts:
        if isinstance(joint_names, str):
            joint_names = [joint_names]
        if '*' in joint_names:
            ids = all_ids
        else:
            ids = sorted({keypoint_name2id[j] for j in joint_names if j in keypoint_name2id})
        if not ids:
            raise ValueError(f'SVS part {name!r}: none of its joints {list(joint_names)} is a '
                             f'keypoint of the dataset metainfo ({sorted(keypoint_name2id)})')
        members = set(ids)
        links = tuple((int(a), int(b)) for a, b in skeleton_links
                      if a in members and b in members)
        resolved.append(SVSPart(name=str(name), joints=tuple(int(i) for i in ids), links=links))
    return resolved


def part_landmarks(points: np.ndarray, visible: np.ndarray, part: SVSPart,
                   spacing: float) -> Tuple[np.ndarray, np.ndarray]:
    """Positive landmarks of a part: its visible joints and dense samples along its limbs.

    Args:
        points: (K, 2) canonical joint coordinates.
        visible: (K,) bool.
        part: the part.
        spacing: distance between consecutive samples on a limb.

    Returns:
        ``(landmarks (P, 2), segments (S, 2, 2))``: the positives and the limb segments with
        both ends visible (isolated joints are degenerate segments), for distance queries.
    """
    joints = [j for j in part.joints if visible[j]]
    links = [(a, b) for a, b in part.links if visible[a] and visible[b]]
    if not joints:
        return np.zeros((0, 2)), np.zeros((0, 2, 2))
    samples = [points[joints]]
    for a, b in links:  # at most a handful of limbs per part
        length = float(np.linalg.norm(points[b] - points[a]))
        n = max(2, int(np.ceil(length / spacing)) + 1)
        t = np.linspace(0.0, 1.0, n)[1:-1, None]  # endpoints are already joint landmarks
        samples.append(points[a] + t * (points[b] - points[a]))
    landmarks = np.concatenate(samples, axis=0)
    segs = [np.stack([points[a], points[b]]) for a, b in links]
    segs += [np.stack([points[j], points[j]]) for j in joints]
    return landmarks, np.stack(segs)


def distance_to_segments(points: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Distance of every point to the nearest segment.

    Args:
        points: (N, 2).
        segments: (S, 2, 2) ``[start, end]`` pairs (``start == end`` is a point).

    Returns:
        (N,) float64 distances.
    """
    a = segments[None, :, 0]  # (1, S, 2)
    ab = segments[None, :, 1] - a
    ap = points[:, None] - a  # (N, S, 2)
    denom = np.broadcast_to((ab**2).sum(-1), ap.shape[:2])
    t = np.divide((ap * ab).sum(-1), denom, out=np.zeros(denom.shape), where=denom > 0)
    t = np.clip(t, 0.0, 1.0)
    closest = a + t[..., None] * ab
    return np.linalg.norm(points[:, None] - closest, axis=-1).min(axis=1)


def band_negatives(landmarks: np.ndarray, segments: np.ndarray, num: int,
                   band: Tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """Random negatives in a band around a part's skeleton.

    Candidates are drawn around random landmarks at a uniform angle and a radius uniform in
    ``band``; those closer than ``band[0]`` to the skeleton (the limb segments) are rejected.

    Args:
        landmarks: (P, 2) positives.
        segments: (S, 2, 2) the part's limb segments and isolated joints.
        num: number of negatives wanted.
        band: ``(inner, outer)`` radii.
        rng: random generator (seeded per annotation, so fits are deterministic).

    Returns:
        (n, 2) negatives, ``n <= num`` (``n`` is ``num`` except in freak cases).
    """
    inner, outer = band
    draws = 4 * num
    base = landmarks[rng.integers(0, landmarks.shape[0], size=draws)]
    angle = rng.uniform(0.0, 2 * np.pi, size=draws)
    radius = rng.uniform(inner, outer, size=draws)
    cand = base + radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    keep = distance_to_segments(cand, segments) >= inner
    return cand[keep][:num]


def svs_training_sets(points: np.ndarray, visible: np.ndarray, parts: Sequence[SVSPart],
                      spacing: float, band: Tuple[float, float], negative_ratio: float,
                      min_negatives: int, seed: int
                      ) -> List[Optional[Tuple[np.ndarray, np.ndarray]]]:
    """The SVM training set of every part: landmarks (label 1) and band negatives (label 0).

    Args:
        points: (K, 2) canonical joint coordinates.
        visible: (K,) bool.
        parts: the parts (channels within a granularity).
        spacing: landmark spacing along limbs.
        band: ``(inner, outer)`` radii of the negative band.
        negative_ratio: negatives per positive.
        min_negatives: lower bound of the number of negatives per part.
        seed: seed of the negative sampling (the sets are a function of the arguments).

    Returns:
        Per part ``(x (n, 2), y (n,) int64)``, or None for a part without a visible joint.
    """
    rng = np.random.default_rng(seed)
    sets: List[Optional[Tuple[np.ndarray, np.ndarray]]] = []
    for part in parts:
        pos, segs = part_landmarks(points, visible, part, spacing)
        if pos.shape[0] == 0:
            sets.append(None)
            continue
        n_neg = max(int(np.ceil(negative_ratio * pos.shape[0])), min_negatives)
        neg = band_negatives(pos, segs, n_neg, band, rng)
        if neg.shape[0] == 0:
            sets.append(None)
            continue
        x = np.concatenate([pos, neg], axis=0)
        y = np.concatenate([np.ones(pos.shape[0]), np.zeros(neg.shape[0])]).astype(np.int64)
        sets.append((x, y))
    return sets


def fit_svs(training_sets: Sequence[Optional[Tuple[np.ndarray, np.ndarray]]],
            c_values: Sequence[float], gamma: float) -> SVSFit:
    """Fit one class-balanced RBF ``SVC`` per (granularity, part).

    Args:
        training_sets: per part ``(x, y)`` or None (see :func:`svs_training_sets`).
        c_values: SVM ``C`` of each granularity.
        gamma: RBF ``gamma`` (canonical units).

    Returns:
        The :class:`SVSFit` (channels granularity-major: ``g * num_parts + p``).
    """
    num_parts = len(training_sets)
    num_channels = num_parts * len(c_values)
    svs, coefs, chans = [], [], []
    intercepts = np.zeros(num_channels)
    valid = np.zeros(num_channels, dtype=bool)
    for g, c in enumerate(c_values):
        for p, xy in enumerate(training_sets):
            if xy is None:
                continue
            ch = g * num_parts + p
            svm = SVC(C=float(c), kernel='rbf', gamma=float(gamma), class_weight='balanced')
            svm.fit(*xy)
            svs.append(svm.support_vectors_)
            coefs.append(svm.dual_coef_[0])
            chans.append(np.full(svm.support_vectors_.shape[0], ch, dtype=np.int64))
            intercepts[ch] = svm.intercept_[0]
            valid[ch] = True
    if svs:
        sv = np.concatenate(svs).astype(np.float64)
        coef = np.concatenate(coefs).astype(np.float64)
        chan = np.concatenate(chans)
    else:
        sv, coef, chan = np.zeros((0, 2)), np.zeros(0), np.zeros(0, dtype=np.int64)
    return SVSFit(support_vectors=sv, dual_coefs=coef, channel_index=chan,
                  intercepts=intercepts, valid=valid, gamma=float(gamma))


def rbf_decision_function(query: np.ndarray, support_vectors: np.ndarray,
                          dual_coefs: np.ndarray, intercept: float, gamma: float) -> np.ndarray:
    """``SVC.decision_function`` of a binary RBF SVM, from its fitted parameters.

    ``f(x) = sum_i dual_coef_i * exp(-gamma * |x - sv_i|^2) + intercept``.

    Args:
        query: (N, 2) points.
        support_vectors: (M, 2).
        dual_coefs: (M,).
        intercept: scalar.
        gamma: RBF gamma.

    Returns:
        (N,) float64 decision values (positive on the positive class' side).
    """
    # |x - s|^2 = |x|^2 + |s|^2 - 2 x.s as one matrix product (float64: error ~1e-13)
    d2 = ((query**2).sum(1)[:, None] + (support_vectors**2).sum(1)[None, :] -
          2.0 * query @ support_vectors.T)
    return np.exp(-gamma * np.maximum(d2, 0.0)) @ dual_coefs + intercept


def evaluate_svs(fit: SVSFit, query: np.ndarray) -> np.ndarray:
    """Evaluate every channel's decision function at canonical points.

    Args:
        fit: the fitted SVMs.
        query: (N, 2) canonical points (e.g. the heatmap grid mapped by the frame).

    Returns:
        (C, N) float64; rows of invalid channels are zero.
    """
    out = np.zeros((fit.num_channels, query.shape[0]))
    for ch in np.flatnonzero(fit.valid):  # one vectorised kernel evaluation per channel
        sel = fit.channel_index == ch
        out[ch] = rbf_decision_function(query, fit.support_vectors[sel], fit.dual_coefs[sel],
                                        fit.intercepts[ch], fit.gamma)
    return out


def evaluate_svs_on_grid(fit: SVSFit, frame: CanonicalFrame, width: int, height: int
                         ) -> np.ndarray:
    """Every channel's decision function on the pixel grid ``x = 0..W-1, y = 0..H-1``.

    The frame is a similarity, so the RBF kernel in canonical coordinates equals an RBF kernel
    in image coordinates with the support vectors mapped back by the frame and
    ``gamma / scale^2``. On an axis-aligned grid that kernel is separable,
    ``exp(-g |p - s|^2) = exp(-g (x - s_x)^2) exp(-g (y - s_y)^2)``, so a channel's map is one
    matrix product ``Ey diag(alpha) Ex^T`` of (H, M) and (M, W) factors: O((H + W) M)
    exponentials instead of O(H W M). Same values as :func:`evaluate_svs` on the mapped grid.

    Args:
        fit: the fitted SVMs (canonical frame).
        frame: the person's canonical frame (grid coordinates -> canonical).
        width: grid width W.
        height: grid height H.

    Returns:
        (C, H, W) float64; invalid channels are zero.
    """
    out = np.zeros((fit.num_channels, height, width))
    sv = frame.from_canonical(fit.support_vectors)
    gamma = fit.gamma / frame.scale**2
    ex = np.exp(-gamma * (np.arange(width)[:, None] - sv[None, :, 0])**2)  # (W, M)
    ey = np.exp(-gamma * (np.arange(height)[:, None] - sv[None, :, 1])**2)  # (H, M)
    for ch in np.flatnonzero(fit.valid):  # one matrix product per channel
        sel = fit.channel_index == ch
        out[ch] = (ey[:, sel] * fit.dual_coefs[sel]) @ ex[:, sel].T + fit.intercepts[ch]
    return out

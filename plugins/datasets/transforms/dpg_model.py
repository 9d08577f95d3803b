"""The fitted Deep Proposals Generator (DPG) model of RMPE: atomic poses + box offset mixtures.

RMPE (Fang et al., ICCV 2017, Sec. 3.4) learns how a real person detector's boxes deviate from
the ground-truth boxes, per *atomic pose*: ground-truth poses are aligned (same torso length,
torso centre at the origin) and clustered with k-means; for every cluster the offsets
``(det - gt) / (w, h, w, h)`` of matched detections (``x1, y1, x2, y2``) are modelled by a
Gaussian mixture. Training boxes are then sampled from the mixture of the instance's atomic
pose. ``tools/analysis/fit_dpg.py`` fits the model (:mod:`.dpg_fitting`) and saves it as JSON;
:class:`DPGModel` loads it, assigns atomic poses and samples boxes.
"""
import json
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np

DPG_FILE_VERSION = 1


def align_poses(keypoints: np.ndarray, visible: np.ndarray, bboxes: np.ndarray,
                torso_upper: Sequence[int], torso_lower: Sequence[int],
                torso_to_box: float) -> np.ndarray:
    """Translate and scale poses so that torsos have unit length and are centred at 0.

    The torso is the segment from the mean of the visible ``torso_upper`` joints (shoulders) to
    the mean of the visible ``torso_lower`` joints (hips). A pose whose torso is not visible is
    centred on its box centre and scaled by ``torso_to_box * max(w, h)``.

    Args:
        keypoints: (N, K, 2) pixels.
        visible: (N, K) bool, labelled joints.
        bboxes: (N, 4) ``xyxy`` ground-truth boxes.
        torso_upper: joint indices of the upper torso end.
        torso_lower: joint indices of the lower torso end.
        torso_to_box: typical torso length / ``max(w, h)`` (fallback scale).

    Returns:
        (N, K, 2) aligned coordinates (invisible joints are aligned too but meaningless).
    """
    kpts = np.asarray(keypoints, np.float64)
    vis = np.asarray(visible, bool)
    boxes = np.asarray(bboxes, np.float64).reshape(-1, 4)

    def end(ids):
        ids = list(ids)
        v = vis[:, ids]
        count = v.sum(1)
        mean = (kpts[:, ids] * v[..., None]).sum(1) / np.maximum(count, 1)[:, None]
        return mean, count > 0

    upper, has_upper = end(torso_upper)
    lower, has_lower = end(torso_lower)
    torso_len = np.linalg.norm(upper - lower, axis=1)
    has_torso = has_upper & has_lower & (torso_len > 1e-6)
    box_centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    box_scale = torso_to_box * np.maximum((boxes[:, 2:] - boxes[:, :2]).max(1), 1e-6)
    centre = np.where(has_torso[:, None], (upper + lower) / 2, box_centre)
    scale = np.where(has_torso, torso_len, box_scale)
    return (kpts - centre[:, None]) / scale[:, None, None]


@dataclass
class GaussianMixtureParams:
    """A Gaussian mixture over 4-D normalised box offsets.

    Attributes:
        weights: (C,) mixing weights (sum 1).
        means: (C, 4).
        covariances: (C, 4, 4) full covariances.
    """
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` samples, (n, 4)."""
        comp = rng.choice(len(self.weights), size=n, p=self.weights)
        # sample N(0, I) and colour it with each component's Cholesky factor
        chol = np.linalg.cholesky(self.covariances + 1e-12 * np.eye(4))
        z = rng.standard_normal((n, 4))
        return self.means[comp] + np.einsum('nij,nj->ni', chol[comp], z)

    def to_dict(self) -> Dict[str, list]:
        return dict(weights=self.weights.tolist(), means=self.means.tolist(),
                    covariances=self.covariances.tolist())

    @classmethod
    def from_dict(cls, d: Dict[str, list], where: str = '') -> 'GaussianMixtureParams':
        try:
            w = np.asarray(d['weights'], np.float64)
            m = np.asarray(d['means'], np.float64)
            c = np.asarray(d['covariances'], np.float64)
        except KeyError as e:
            raise ValueError(f'DPG model{where}: mixture lacks the field {e}') from None
        if w.ndim != 1 or m.shape != (len(w), 4) or c.shape != (len(w), 4, 4):
            raise ValueError(f'DPG model{where}: mixture shapes must be (C,), (C, 4), (C, 4, 4), '
                             f'got {w.shape}, {m.shape}, {c.shape}')
        return cls(w / w.sum(), m, c)


@dataclass
class DPGModel:
    """Atomic poses and the detector's box offset distribution of each.

    Attributes:
        atomic_poses: (A, K, 2) aligned cluster centres.
        offset_models: ``A`` mixtures of ``(det - gt) / (w, h, w, h)``.
        torso_upper: joint indices of the upper torso end (alignment).
        torso_lower: joint indices of the lower torso end.
        torso_to_box: fallback scale ratio (see :func:`align_poses`).
        num_samples: (A,) matched detections behind each mixture (informative).
        meta: free-form provenance (source files, detector).
    """
    atomic_poses: np.ndarray
    offset_models: List[GaussianMixtureParams]
    torso_upper: List[int]
    torso_lower: List[int]
    torso_to_box: float
    num_samples: Optional[List[int]] = None
    meta: Optional[dict] = None

    @property
    def num_keypoints(self) -> int:
        return self.atomic_poses.shape[1]

    def assign(self, keypoints: np.ndarray, visible: np.ndarray,
               bboxes: np.ndarray) -> np.ndarray:
        """Atomic pose of each instance: the nearest centre over its visible aligned joints.

        Args:
            keypoints: (N, K, 2); visible: (N, K) bool; bboxes: (N, 4) ``xyxy``.

        Returns:
            (N,) int64 cluster indices (instances with no visible joint get the largest
            cluster).
        """
        kpts = np.asarray(keypoints, np.float64)
        if kpts.ndim != 3 or kpts.shape[1:] != (self.num_keypoints, 2):
            raise ValueError(f'DPG: keypoints must be (N, {self.num_keypoints}, 2), '
                             f'got {kpts.shape}')
        vis = np.asarray(visible, bool).reshape(kpts.shape[:2])
        aligned = align_poses(kpts, vis, bboxes, self.torso_upper, self.torso_lower,
                              self.torso_to_box)
        d2 = ((aligned[:, None] - self.atomic_poses[None]) ** 2).sum(-1)  # (N, A, K)
        cost = (d2 * vis[:, None]).sum(-1) / np.maximum(vis.sum(1), 1)[:, None]
        cluster = cost.argmin(1)
        if self.num_samples is not None:
            cluster[~vis.any(1)] = int(np.argmax(self.num_samples))
        return cluster.astype(np.int64)

    def sample_offsets(self, clusters: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One normalised offset per instance from its atomic pose's mixture, (N, 4)."""
        out = np.zeros((len(clusters), 4))
        for a in np.unique(clusters):  # per cluster (A small), vectorised within
            idx = np.flatnonzero(clusters == a)
            out[idx] = self.offset_models[a].sample(len(idx), rng)
        return out

    def to_dict(self) -> dict:
        return dict(
            version=DPG_FILE_VERSION,
            offset_definition='(det - gt) / (w, h, w, h) for (x1, y1, x2, y2)',
            atomic_poses=self.atomic_poses.tolist(),
            offset_models=[m.to_dict() for m in self.offset_models],
            torso_upper=list(map(int, self.torso_upper)),
            torso_lower=list(map(int, self.torso_lower)),
            torso_to_box=float(self.torso_to_box),
            num_samples=None if self.num_samples is None else list(map(int, self.num_samples)),
            meta=self.meta or {})

    def save(self, path: str) -> None:
        """Write the model as JSON."""
        with open(path, 'w') as f:
            json.dump(self.to_dict(), f, indent=1)

    @classmethod
    def load(cls, path: str) -> 'DPGModel':
        """Read a model written by :meth:`save` (``tools/analysis/fit_dpg.py``)."""
        with open(path) as f:
            d = json.load(f)
        where = f' {path}'
        if d.get('version') != DPG_FILE_VERSION:
            raise ValueError(f'DPG model{where}: unsupported version {d.get("version")!r} '
                             f'(expected {DPG_FILE_VERSION})')
        for key in ('atomic_poses', 'offset_models', 'torso_upper', 'torso_lower',
                    'torso_to_box'):
            if key not in d:
                raise ValueError(f'DPG model{where}: missing field "{key}"')
        poses = np.asarray(d['atomic_poses'], np.float64)
        if poses.ndim != 3 or poses.shape[2] != 2 or len(poses) != len(d['offset_models']):
            raise ValueError(f'DPG model{where}: atomic_poses must be (A, K, 2) with one offset '
                             f'model each, got {poses.shape} and {len(d["offset_models"])}')
        return cls(
            atomic_poses=poses,
            offset_models=[
                GaussianMixtureParams.from_dict(m, f'{where} (atomic pose {i})')
                for i, m in enumerate(d['offset_models'])
            ],
            torso_upper=list(d['torso_upper']),
            torso_lower=list(d['torso_lower']),
            torso_to_box=float(d['torso_to_box']),
            num_samples=d.get('num_samples'),
            meta=d.get('meta'))

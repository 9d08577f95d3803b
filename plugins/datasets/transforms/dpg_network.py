"""The Deep Proposals Generator as a network: score how much a box looks like a detector's.

Each candidate box of a person is encoded as a small image in the frame of the person's
ground-truth box (a window of ``canvas_scale`` times the box, centred on it, rasterised at
``canvas_size``):

* channel 0, the *proposal indicator*: ``inside_value`` inside the candidate box,
  ``outside_value`` outside;
* channels 1-3, the person's pose drawn in per-joint colours (a disc of ``joint_radius`` canvas
  pixels per labelled joint, colour ``joint_colours[k]``).

A small CNN (:class:`ProposalScoringNet`) maps the encoding to one logit: how likely the box is
a real detector output for that person. It is trained (:func:`train_proposal_scorer`, used by
``tools/analysis/fit_dpg.py --mode proposal_network``) with detector boxes matched to ground
truth as positives and random boxes around the ground truth (:func:`random_proposals`) as
negatives. At training time of the pose model, :class:`ProposalNetworkDPG` samples many random
candidates around each person, scores them and returns one of the ``top_k`` best as the
augmented training box.

Everything is in units of the ground-truth box: a box is ``(x1, y1, x2, y2)`` with the
ground-truth box at ``(0, 0, 1, 1)``; poses are in the same normalised coordinates.
"""
import os.path as osp
from dataclasses import asdict, dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

DPG_NETWORK_FORMAT = 'rmpe-dpg-proposal-network'
DPG_NETWORK_VERSION = 1


def default_joint_colours(num_keypoints: int) -> List[List[float]]:
    """``K`` distinct RGB colours in [0, 1] (hues evenly spaced, full saturation/value)."""
    hue = np.arange(num_keypoints) / max(num_keypoints, 1)
    h6 = hue * 6
    c = np.stack([np.clip(np.abs(h6 - 3) - 1, 0, 1), np.clip(2 - np.abs(h6 - 2), 0, 1),
                  np.clip(2 - np.abs(h6 - 4), 0, 1)], 1)
    return c.tolist()


@dataclass
class ProposalEncoding:
    """How proposals and poses are rasterised.

    Attributes:
        num_keypoints: ``K``.
        canvas_size: (H, W) of the encoding.
        canvas_scale: the canvas covers ``canvas_scale`` times the ground-truth box, centred.
        inside_value / outside_value: proposal indicator inside / outside the box.
        joint_radius: radius of a joint's disc in canvas pixels.
        joint_colours: (K, 3) RGB colours in [0, 1].
    """
    num_keypoints: int
    canvas_size: Tuple[int, int] = (32, 32)
    canvas_scale: float = 1.5
    inside_value: float = 1.0
    outside_value: float = -1.0
    joint_radius: float = 1.5
    joint_colours: List[List[float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.joint_colours:
            self.joint_colours = default_joint_colours(self.num_keypoints)
        colours = np.asarray(self.joint_colours, np.float64)
        if colours.shape != (self.num_keypoints, 3):
            raise ValueError(f'DPG network: joint_colours must be ({self.num_keypoints}, 3), '
                             f'got {colours.shape}')
        self.canvas_size = tuple(int(v) for v in self.canvas_size)

    def _grid(self) -> Tuple[np.ndarray, np.ndarray]:
        """Canvas pixel centres in normalised box units: (H,) y and (W,) x."""
        h, w = self.canvas_size
        lo = 0.5 - self.canvas_scale / 2
        ys = lo + (np.arange(h) + 0.5) / h * self.canvas_scale
        xs = lo + (np.arange(w) + 0.5) / w * self.canvas_scale
        return ys, xs

    def pose_images(self, poses: np.ndarray, visible: np.ndarray) -> np.ndarray:
        """Poses drawn in per-joint colours.

        Args:
            poses: (N, K, 2) normalised joint positions.
            visible: (N, K) bool, labelled joints.

        Returns:
            (N, 3, H, W) float32; a pixel covered by several joints takes their maximum.
        """
        ys, xs = self._grid()
        h, w = self.canvas_size
        px = self.canvas_scale / np.asarray([h, w], np.float64)  # box units per canvas pixel
        dy = (ys[None, None, :, None] - poses[..., 1, None, None]) / px[0]
        dx = (xs[None, None, None, :] - poses[..., 0, None, None]) / px[1]
        disc = (dx * dx + dy * dy <= self.joint_radius ** 2) & np.asarray(visible, bool)[
            ..., None, None]  # (N, K, H, W)
        colours = np.asarray(self.joint_colours, np.float32)  # (K, 3)
        img = disc[:, :, None] * colours[None, :, :, None, None]  # (N, K, 3, H, W)
        return img.max(1).astype(np.float32) if poses.shape[1] else np.zeros(
            (len(poses), 3, h, w), np.float32)

    def indicator_images(self, boxes: np.ndarray) -> np.ndarray:
        """Proposal indicators of boxes.

        Args:
            boxes: (..., 4) normalised ``xyxy`` boxes.

        Returns:
            (..., 1, H, W) float32.
        """
        ys, xs = self._grid()
        b = np.asarray(boxes, np.float64)[..., None, None]
        x1, y1, x2, y2 = (b[..., i, :, :] for i in range(4))
        inside = (xs >= x1) & (xs <= x2) & (ys[:, None] >= y1) & (ys[:, None] <= y2)
        out = np.where(inside, self.inside_value, self.outside_value).astype(np.float32)
        return out[..., None, :, :]

    def encode(self, boxes: np.ndarray, pose_images: np.ndarray) -> np.ndarray:
        """Network inputs of candidate boxes.

        Args:
            boxes: (N, C, 4) normalised candidate boxes of N persons.
            pose_images: (N, 3, H, W) from :meth:`pose_images`.

        Returns:
            (N * C, 4, H, W) float32, person-major.
        """
        n, c = boxes.shape[:2]
        ind = self.indicator_images(boxes)  # (N, C, 1, H, W)
        pose = np.broadcast_to(pose_images[:, None], (n, c) + pose_images.shape[1:])
        return np.concatenate([ind, pose], axis=2).reshape((n * c, 4) + tuple(self.canvas_size))


def normalise_to_boxes(gt_boxes: np.ndarray, boxes: Optional[np.ndarray] = None,
                       keypoints: Optional[np.ndarray] = None):
    """Express boxes (N, ..., 4) and keypoints (N, K, 2) in units of the ground-truth boxes."""
    gt = np.asarray(gt_boxes, np.float64).reshape(-1, 4)
    wh = np.maximum(gt[:, 2:] - gt[:, :2], 1e-6)
    out = []
    if boxes is not None:
        b = np.asarray(boxes, np.float64)
        shape = (len(gt),) + (1,) * (b.ndim - 2) + (2,)
        org, scale = gt[:, :2].reshape(shape), wh.reshape(shape)
        out.append(np.concatenate([(b[..., :2] - org) / scale, (b[..., 2:] - org) / scale], -1))
    if keypoints is not None:
        out.append((np.asarray(keypoints, np.float64) - gt[:, None, :2]) / wh[:, None])
    return out[0] if len(out) == 1 else tuple(out)


def random_proposals(num_persons: int, num: int, std: float, rng,
                     min_size: float = 0.05) -> np.ndarray:
    """Random boxes around the ground-truth box ``(0, 0, 1, 1)``: every edge moves by
    ``N(0, std)`` box sizes; boxes narrower or lower than ``min_size`` are widened to it.

    Returns:
        (num_persons, num, 4) normalised ``xyxy``.
    """
    b = np.array([0.0, 0.0, 1.0, 1.0]) + rng.normal(0.0, std, (num_persons, num, 4))
    x1, x2 = np.minimum(b[..., 0], b[..., 2]), np.maximum(b[..., 0], b[..., 2])
    y1, y2 = np.minimum(b[..., 1], b[..., 3]), np.maximum(b[..., 1], b[..., 3])
    x2 = np.maximum(x2, x1 + min_size)
    y2 = np.maximum(y2, y1 + min_size)
    return np.stack([x1, y1, x2, y2], -1)


class ProposalScoringNet(nn.Module):
    """Small CNN: (B, 4, H, W) proposal encoding -> (B,) logit "looks like a detector box".

    Args:
        channels: widths of the three stride-2 3x3 conv stages.
    """

    def __init__(self, channels: Sequence[int] = (16, 32, 32)) -> None:
        super().__init__()
        layers, c_in = [], 4
        for c in channels:
            layers += [nn.Conv2d(c_in, c, 3, stride=2, padding=1), nn.BatchNorm2d(c),
                       nn.ReLU(inplace=True)]
            c_in = c
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c_in, 1)
        self.channels = tuple(int(c) for c in channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).mean((2, 3))).squeeze(1)


@dataclass
class DPGNetworkModel:
    """A trained proposal scorer and its encoding (what the fitting tool saves).

    Attributes:
        encoding: the :class:`ProposalEncoding`.
        net: the :class:`ProposalScoringNet` (eval mode).
        proposal_std: edge jitter (box sizes) of the random candidates, in training (negatives)
            and when sampling.
        meta: provenance and training statistics.
    """
    encoding: ProposalEncoding
    net: ProposalScoringNet
    proposal_std: float = 0.15
    meta: dict = field(default_factory=dict)

    @torch.no_grad()
    def score(self, boxes: np.ndarray, pose_images: np.ndarray) -> np.ndarray:
        """Logits of candidate boxes, (N, C) for boxes (N, C, 4) normalised."""
        n, c = boxes.shape[:2]
        if n * c == 0:
            return np.zeros((n, c), np.float32)
        x = torch.from_numpy(self.encoding.encode(boxes, pose_images))
        return self.net(x).numpy().reshape(n, c)

    def save(self, path: str) -> None:
        """Write the model (``torch.save`` of plain types and tensors: loads with
        ``weights_only=True``)."""
        torch.save(dict(format=DPG_NETWORK_FORMAT, version=DPG_NETWORK_VERSION,
                        encoding=asdict(self.encoding), channels=list(self.net.channels),
                        proposal_std=float(self.proposal_std), meta=self.meta,
                        state_dict=self.net.state_dict()), path)

    @classmethod
    def load(cls, path: str) -> 'DPGNetworkModel':
        """Read a model written by :meth:`save` (``tools/analysis/fit_dpg.py --mode
        proposal_network``)."""
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'DeepProposalsGenerator: DPG network {path!r} not found; fit it with '
                'tools/analysis/fit_dpg.py ANN --detections DET --mode proposal_network --out '
                f'{path}')
        try:
            d = torch.load(path, map_location='cpu', weights_only=True)
        except Exception as e:  # pickle/zip errors of a file that is no torch checkpoint
            raise ValueError(f'DPG network {path!r}: not a torch file written by '
                             f'tools/analysis/fit_dpg.py ({type(e).__name__}: {e})') from None
        if not isinstance(d, dict) or d.get('format') != DPG_NETWORK_FORMAT:
            raise ValueError(f'DPG network {path!r}: "format" must be {DPG_NETWORK_FORMAT!r} '
                             '(an atomic-pose mixture file is a .json for '
                             "mode='atomic_pose_gmm')")
        if d.get('version') != DPG_NETWORK_VERSION:
            raise ValueError(f'DPG network {path!r}: unsupported version {d.get("version")!r}')
        for key in ('encoding', 'channels', 'state_dict'):
            if key not in d:
                raise ValueError(f'DPG network {path!r}: missing field "{key}"')
        net = ProposalScoringNet(d['channels'])
        try:
            net.load_state_dict(d['state_dict'])
        except RuntimeError as e:
            raise ValueError(f'DPG network {path!r}: weights do not fit the network '
                             f'({e})') from None
        net.eval()
        return cls(encoding=ProposalEncoding(**d['encoding']), net=net,
                   proposal_std=float(d.get('proposal_std', 0.15)), meta=d.get('meta') or {})


def train_proposal_scorer(keypoints: np.ndarray, visible: np.ndarray, gt_boxes: np.ndarray,
                          matched: np.ndarray, det_boxes: np.ndarray,
                          num_negatives: int = 4, proposal_std: float = 0.15,
                          epochs: int = 10, batch_size: int = 256, lr: float = 3e-3,
                          encoding: Optional[ProposalEncoding] = None,
                          channels: Sequence[int] = (16, 32, 32), seed: int = 0,
                          meta: Optional[dict] = None) -> DPGNetworkModel:
    """Train the proposal scorer.

    Args:
        keypoints: (N, K, 2) ground-truth poses (pixels) of all persons.
        visible: (N, K) bool labelled joints.
        gt_boxes: (N, 4) ``xyxy`` ground-truth boxes.
        matched: (M,) indices of the persons with a matched detection.
        det_boxes: (M, 4) ``xyxy`` their matched detector boxes (the positives).
        num_negatives: random boxes per positive (:func:`random_proposals` with
            ``proposal_std``), resampled every epoch; the loss weighs both classes equally.
        proposal_std: edge jitter of the negatives (and of the candidates when sampling).
        epochs / batch_size / lr: Adam on the binary cross-entropy.
        encoding: the rasterisation (default: :class:`ProposalEncoding` for ``K`` joints).
        channels: widths of the network.
        seed: seeds numpy and torch.
        meta: stored with the model.

    Returns:
        The trained :class:`DPGNetworkModel` (``meta`` also holds the final training loss and
        the accuracy on the last epoch's samples).
    """
    kpts = np.asarray(keypoints, np.float64)
    vis = np.asarray(visible, bool)
    matched = np.asarray(matched, np.int64).reshape(-1)
    det = np.asarray(det_boxes, np.float64).reshape(-1, 4)
    if len(matched) != len(det):
        raise ValueError(f'train_proposal_scorer: {len(matched)} matched persons but '
                         f'{len(det)} detector boxes')
    if len(det) < 2:
        raise ValueError('train_proposal_scorer: need at least 2 matched detections')
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    enc = encoding or ProposalEncoding(num_keypoints=kpts.shape[1])
    gt = np.asarray(gt_boxes, np.float64).reshape(-1, 4)[matched]
    pos, poses = normalise_to_boxes(gt, det[:, None], kpts[matched])
    pose_img = enc.pose_images(poses, vis[matched])  # (M, 3, H, W)
    net = ProposalScoringNet(channels)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    m = len(det)
    pos_weight = torch.tensor(float(num_negatives))
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    last_loss, last_acc = float('nan'), float('nan')
    for _ in range(epochs):
        neg = random_proposals(m, num_negatives, proposal_std, rng)
        boxes = np.concatenate([pos, neg], 1)  # (M, 1 + R, 4)
        labels = np.zeros((m, 1 + num_negatives), np.float32)
        labels[:, 0] = 1
        order = rng.permutation(m)
        losses, correct, total = [], 0, 0
        net.train()
        for start in range(0, m, max(1, batch_size // (1 + num_negatives))):
            idx = order[start:start + max(1, batch_size // (1 + num_negatives))]
            x = torch.from_numpy(enc.encode(boxes[idx], pose_img[idx]))
            y = torch.from_numpy(labels[idx].reshape(-1))
            logit = net(x)
            loss = loss_fn(logit, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            correct += int(((logit > 0).float() == y).sum())
            total += len(y)
        last_loss, last_acc = float(np.mean(losses)), correct / max(total, 1)
    net.eval()
    info = dict(meta or {}, num_positives=int(m), num_negatives_per_positive=int(num_negatives),
                epochs=int(epochs), final_loss=last_loss, final_train_accuracy=last_acc)
    return DPGNetworkModel(encoding=enc, net=net, proposal_std=float(proposal_std), meta=info)


class ProposalNetworkDPG:
    """Sampling of training boxes with a trained proposal scorer.

    For each person: ``num_candidates`` random boxes around its ground-truth box
    (:func:`random_proposals`), scored by the network with the person's pose; one of the
    ``top_k`` highest-scoring is chosen uniformly.

    Args:
        model: the trained :class:`DPGNetworkModel`.
        num_candidates: random candidates per person.
        top_k: the returned box is drawn uniformly among the ``top_k`` best candidates.
    """

    def __init__(self, model: DPGNetworkModel, num_candidates: int = 32, top_k: int = 4) -> None:
        if not 1 <= top_k <= num_candidates:
            raise ValueError(f'DPG network: need 1 <= top_k <= num_candidates, got {top_k}, '
                             f'{num_candidates}')
        self.model = model
        self.num_candidates = int(num_candidates)
        self.top_k = int(top_k)

    def sample(self, gt_boxes: np.ndarray, keypoints: np.ndarray, visible: np.ndarray,
               rng) -> np.ndarray:
        """One box per person.

        Args:
            gt_boxes: (N, 4) ``xyxy`` pixels.
            keypoints: (N, K, 2) pixels; visible: (N, K) labelled joints.
            rng: numpy Generator or the ``np.random`` module.

        Returns:
            (N, 4) ``xyxy`` pixels.
        """
        gt = np.asarray(gt_boxes, np.float64).reshape(-1, 4)
        n = len(gt)
        k = self.model.encoding.num_keypoints
        kpts = np.asarray(keypoints, np.float64)
        if kpts.shape != (n, k, 2):
            raise ValueError(f'DPG network: keypoints must be ({n}, {k}, 2), got {kpts.shape}')
        poses = normalise_to_boxes(gt, keypoints=kpts)
        pose_img = self.model.encoding.pose_images(poses, np.asarray(visible).reshape(n, k) > 0)
        cand = random_proposals(n, self.num_candidates, self.model.proposal_std, rng)
        logits = self.model.score(cand, pose_img)  # (N, C)
        top = np.argsort(-logits, axis=1, kind='stable')[:, :self.top_k]
        pick = top[np.arange(n), rng.integers(0, self.top_k, n) if hasattr(rng, 'integers')
                   else rng.randint(0, self.top_k, n)]
        chosen = cand[np.arange(n), pick]  # (N, 4) normalised
        wh = gt[:, 2:] - gt[:, :2]
        return np.concatenate([gt[:, :2] + chosen[:, :2] * wh, gt[:, :2] + chosen[:, 2:] * wh], 1)

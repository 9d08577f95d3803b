"""Synthetic scenes for the tracker tests: people as coloured joint markers, and a network whose
backbone is a fixed colour pooling (the real correspondence code path with known features)."""
from typing import Dict, List

import cv2
import numpy as np
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.structures import InstanceData

from plugins.registry import MODELS

K = 5
SIGMAS = [0.08] * K
FRAME_WH = (96, 64)
# head, left/right shoulder, left/right hip around the person's centre
LAYOUT = np.array([[0, -12], [-6, -5], [6, -5], [-5, 8], [5, 8]], np.float32)


@MODELS.register_module(name='TestColourPool', force=True)
class ColourPool(BaseModule):
    """Average-pools the image: per-pixel normalisation then leaves the colour's hue."""

    def __init__(self, stride: int = 4) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x):
        return (F.avg_pool2d(x, self.stride), )


def colour_model(refine: bool = False) -> dict:
    """A correspondence network on colour features (untrained refinement if ``refine``)."""
    return dict(
        type='CorrespondenceNet', num_keypoints=K, input_size=FRAME_WH,
        matcher=dict(type='SiameseMatcher', patch_size=3, temperature=0.05,
                     backbone=dict(type='TestColourPool')),
        refinement=(dict(type='AffinityRefinement',
                         backbone=dict(type='BNInception', first_layer=3, last_layer=3,
                                       widen_factor=1 / 16)) if refine else None),
        data_preprocessor=dict(type='ImagePairDataPreprocessor', mean=[0, 0, 0],
                               std=[255, 255, 255]))


def person_colours(person: int) -> np.ndarray:
    """(K, 3) BGR colours of one person's joints: distinct hues per person and per joint."""
    shades = 40 + 45 * np.arange(K)
    base = np.zeros((K, 3))
    if person == 0:
        base[:, 2], base[:, 1] = 255, shades  # red-yellow
    elif person == 1:
        base[:, 0], base[:, 1] = 255, shades  # blue-cyan
    else:
        base[:, 0], base[:, 2] = shades, 255 - shades // 2  # magenta
    return base


def pose_at(centre) -> np.ndarray:
    return (LAYOUT + np.asarray(centre, np.float32)).astype(np.float32)


def render(people: Dict[int, np.ndarray], order: List[int]) -> np.ndarray:
    """Draw people (id -> (K, 2) pose) in ``order`` (later ones occlude earlier ones)."""
    img = np.zeros((FRAME_WH[1], FRAME_WH[0], 3), np.uint8)
    for pid in order:
        if pid not in people:
            continue
        for (x, y), colour in zip(people[pid], person_colours(pid)):
            cv2.circle(img, (int(round(x)), int(round(y))), 3, colour.tolist(), -1)
    return img


def detections(poses: List[np.ndarray], seed: int = 0, jitter: float = 0.5) -> InstanceData:
    """Poses of one frame as a detector would give them (slightly jittered)."""
    rng = np.random.default_rng(seed)
    kpts = np.asarray(poses, np.float32).reshape(-1, K, 2)
    kpts = kpts + rng.normal(0, jitter, kpts.shape).astype(np.float32)
    inst = InstanceData()
    inst.keypoints = kpts
    inst.keypoint_scores = np.full(kpts.shape[:2], 0.9, np.float32)
    lo, hi = kpts.min(1) - 2, kpts.max(1) + 2
    inst.bboxes = np.concatenate([lo, hi], 1).reshape(-1, 4).astype(np.float32)
    inst.bbox_scores = np.ones(len(kpts), np.float32)
    return inst


def crossing(num_frames: int = 11, speed: float = 6.0):
    """Person 0 walks right, person 1 walks left; they meet at the middle frame, where person
    1 hides person 0 completely.

    Returns:
        frames, per-frame ground truth {person id: pose}.
    """
    frames, truth = [], []
    mid = num_frames // 2
    for t in range(num_frames):
        people = {0: pose_at((48 + speed * (t - mid), 32)),
                  1: pose_at((48 - speed * (t - mid), 32))}
        frames.append(render(people, order=[0, 1]))
        truth.append(people)
    return frames, truth

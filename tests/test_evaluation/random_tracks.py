"""Random ground-truth pose tracks and noisy tracked predictions (tests and benchmark).

Ground truth: people moving by random walks, each visible during a random interval, with
head boxes, visibility flags, occasional ignore regions. Predictions: jittered copies (some far
off), missed persons, duplicates near a person (competing candidates), false positives,
identity swaps, shuffled order, random joint confidences.
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np

from plugins.datasets.posetrack_json import FrameAnnotation, VideoAnnotation

#: The 14 joints of the Bonn PoseTrack data (MPII names without pelvis and thorax).
BONN_NAMES: List[str] = [
    'right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee', 'left_ankle',
    'upper_neck', 'head_top', 'right_wrist', 'right_elbow', 'right_shoulder', 'left_shoulder',
    'left_elbow', 'left_wrist'
]


def _categories(names: Sequence[str]) -> list:
    return [dict(supercategory='person', id=1, name='person', keypoints=list(names),
                 skeleton=[])]


def make_random_videos(num_videos: int = 3, num_frames: int = 12, max_persons: int = 5,
                       names: Sequence[str] = BONN_NAMES, seed: int = 0,
                       crowd: float = 1.0, p_miss: float = 0.1, p_duplicate: float = 0.1,
                       p_false_positive: float = 0.3, p_swap: float = 0.05,
                       p_ignore: float = 0.2, p_unlabeled: float = 0.0,
                       score_ties: bool = False,
                       frames_per_video: Optional[Sequence[int]] = None
                       ) -> Tuple[List[VideoAnnotation], List[VideoAnnotation]]:
    """Random ground truth and predictions.

    Args:
        num_videos: Videos. num_frames: Frames per video (or ``frames_per_video``).
        max_persons: Tracks per video are drawn in ``[1, max_persons]``.
        names: Keypoint names (K).
        seed: Random seed.
        crowd: Smaller values put people closer together (more competing candidates).
        p_miss: Probability that a person is not predicted in a frame.
        p_duplicate: Probability of an extra prediction close to a person.
        p_false_positive: Expected false-positive persons per frame.
        p_swap: Probability per frame that two predicted ids are swapped from then on.
        p_ignore: Probability that a frame has an ignore region.
        p_unlabeled: Probability that a frame is not labeled.
        score_ties: Draw joint scores from a few values (many ties).

    Returns:
        ``(gt_videos, pred_videos)``.
    """
    rng = np.random.default_rng(seed)
    k = len(names)
    template = rng.normal(0, 25, (k, 2))
    gts, preds = [], []
    for v in range(num_videos):
        t_len = frames_per_video[v] if frames_per_video is not None else num_frames
        n_p = int(rng.integers(1, max_persons + 1))
        start = rng.integers(0, max(1, t_len // 2), n_p)
        stop = np.minimum(t_len, start + rng.integers(2, t_len + 2, n_p))
        centre = rng.uniform(50, 50 + 400 * crowd, (n_p, 2))
        velocity = rng.normal(0, 3, (n_p, 2))
        head_len = rng.uniform(20, 40, n_p)
        id_map = np.arange(n_p) + 100
        next_id = 1000
        g_frames, p_frames = [], []
        for t in range(t_len):
            centre = centre + velocity + rng.normal(0, 1, (n_p, 2))
            labeled = rng.random() >= p_unlabeled
            alive = np.flatnonzero((start <= t) & (t < stop)) if labeled else np.zeros(0, int)
            n = len(alive)
            kp = centre[alive, None, :] + template[None] + rng.normal(0, 2, (n, k, 2))
            vis = (rng.random((n, k)) < 0.85).astype(np.float32)
            kp = np.where(vis[..., None] > 0, kp, 0.0)
            heads = np.concatenate([centre[alive] - head_len[alive, None] / 2,
                                    centre[alive] + head_len[alive, None] / 2], 1)
            ignore = []
            if n and rng.random() < p_ignore:
                c = kp[rng.integers(n)][rng.integers(k)] + rng.normal(0, 5, 2)
                ignore = [c + np.array([[-20, -20], [25, -15], [20, 20], [-15, 25]])]
            g_frames.append(FrameAnnotation(
                image_id=v * 10000 + t, file_name=f'v{v}/{t:06d}.jpg', frame_index=t,
                is_labeled=labeled, keypoints=kp, keypoint_scores=vis,
                track_ids=alive + 7, bboxes=np.zeros((n, 4)), head_bboxes=heads,
                ignore_regions=ignore))
            if rng.random() < p_swap and n_p > 1:
                a, b = rng.choice(n_p, 2, replace=False)
                id_map[[a, b]] = id_map[[b, a]]
            if rng.random() < p_swap / 2:
                a = rng.integers(n_p)
                id_map[a] = next_id
                next_id += 1
            pk, ps, pid = [], [], []
            for i, person in enumerate(alive):
                scale = head_len[person] * 0.6
                # true joint positions (also of joints not annotated in the ground truth)
                true_kp = kp[i] + np.where(vis[i, :, None] > 0, 0, template + centre[person])
                if rng.random() >= p_miss:
                    err = rng.normal(0, 0.2 * scale, (k, 2))
                    err[rng.random(k) < 0.1] *= 6
                    pk.append(true_kp + err)
                    ps.append(rng.random(k))
                    pid.append(id_map[person])
                if rng.random() < p_duplicate:
                    pk.append(true_kp + rng.normal(0, 0.15 * scale, (k, 2)))
                    ps.append(rng.random(k) * 0.8)
                    pid.append(next_id)
                    next_id += 1
            for _ in range(rng.poisson(p_false_positive)):
                pk.append(rng.uniform(0, 50 + 400 * crowd, 2) + template)
                ps.append(rng.random(k) * 0.5)
                pid.append(next_id)
                next_id += 1
            m = len(pk)
            order = rng.permutation(m)
            pk = np.asarray(pk, np.float32).reshape(m, k, 2)[order]
            ps = np.asarray(ps, np.float32).reshape(m, k)[order]
            if score_ties:
                ps = np.round(ps * 4) / 4
            pid = np.asarray(pid, np.int64).reshape(m)[order]
            p_frames.append(FrameAnnotation(
                image_id=v * 10000 + t, file_name=f'v{v}/{t:06d}.jpg', frame_index=t,
                is_labeled=True, keypoints=pk, keypoint_scores=ps, track_ids=pid,
                bboxes=np.zeros((m, 4)), head_bboxes=np.full((m, 4), np.nan)))
        gts.append(VideoAnnotation(name=f'video{v:03d}', frames=g_frames,
                                   categories=_categories(names)))
        preds.append(VideoAnnotation(name=f'video{v:03d}', frames=p_frames,
                                     categories=_categories(names), is_prediction=True))
    return gts, preds


def noisy_predictions(gt_videos: Sequence[VideoAnnotation], seed: int = 0, p_miss: float = 0.1,
                      p_false_positive: float = 0.3, p_swap: float = 0.05,
                      noise: float = 0.2) -> List[VideoAnnotation]:
    """Tracked predictions simulated from ground-truth videos (e.g. the converted Bonn data).

    Joints are jittered by ``noise`` head sizes (10% of them 6x more), persons missed with
    ``p_miss``, false positives added, predicted ids of two tracks swapped with ``p_swap`` per
    frame, person order shuffled.
    """
    rng = np.random.default_rng(seed)
    preds = []
    for v in gt_videos:
        k = v.num_keypoints or (v.frames[0].keypoints.shape[1] if v.frames else 0)
        ids = sorted({int(t) for f in v.frames for t in f.track_ids})
        id_map = {t: 100 + i for i, t in enumerate(ids)}
        next_id = 10000
        frames = []
        for f in v.frames:
            if len(ids) > 1 and rng.random() < p_swap:
                a, b = rng.choice(ids, 2, replace=False)
                id_map[a], id_map[b] = id_map[b], id_map[a]
            pk, ps, pid = [], [], []
            for i in range(f.num_persons):
                if rng.random() < p_miss:
                    continue
                hb = f.head_bboxes[i]
                scale = 0.6 * np.hypot(hb[2] - hb[0], hb[3] - hb[1])
                scale = scale if np.isfinite(scale) and scale > 0 else 20.0
                err = rng.normal(0, noise * scale, (k, 2))
                err[rng.random(k) < 0.1] *= 6
                pk.append(f.keypoints[i] + err)
                ps.append(rng.random(k))
                pid.append(id_map[int(f.track_ids[i])])
            for _ in range(rng.poisson(p_false_positive)):
                anchor = f.keypoints[rng.integers(f.num_persons)] if f.num_persons else \
                    np.zeros((k, 2))
                pk.append(anchor + rng.normal(0, 60, 2))
                ps.append(rng.random(k) * 0.5)
                pid.append(next_id)
                next_id += 1
            m = len(pk)
            order = rng.permutation(m)
            frames.append(FrameAnnotation(
                image_id=f.image_id, file_name=f.file_name, frame_index=f.frame_index,
                is_labeled=True, keypoints=np.asarray(pk, np.float32).reshape(m, k, 2)[order],
                keypoint_scores=np.asarray(ps, np.float32).reshape(m, k)[order],
                track_ids=np.asarray(pid, np.int64).reshape(m)[order],
                bboxes=np.zeros((m, 4)), head_bboxes=np.full((m, 4), np.nan)))
        preds.append(VideoAnnotation(name=v.name, frames=frames, categories=v.categories,
                                     is_prediction=True))
    return preds

"""Keypoint HOTA on the real Bonn PoseTrack tracks in ../shared (needs them).

End to end against ``trackeval``: per joint and video, the similarity matrices are built here
with plain loops from the keypoints (``max(0, 1 - d / 0.5001)``, ``d`` in head sizes), fed to
``trackeval.metrics.HOTA`` and combined over videos; the per-joint DetA / AssA / LocA / HOTA of
``evaluate_posetrack(metrics=('hota',))`` must agree to 1e-6. The predictions are the ground
truth with jitter, swapped and fragmented ids and dropped persons. trackeval matches by
``alignment * similarity`` (box HOTA), the kit by the similarity: the Bonn persons overlap
(hundreds of frame-joint cells with competing candidates), so the comparison runs
:func:`keypoint_hota` with ``alignment_weighted=True``; the kit's matching itself is covered by
the hand cases of ``test_keypoint_hota.py``.
"""
import copy

import numpy as np
import pytest

from plugins.evaluation import evaluate_posetrack
from plugins.evaluation.functional import (flatten_videos, keypoint_hota, pair_joint_distances,
                                           pairs_within_frames, resolve_evaluated_joints)
from test_hota_trackeval import import_trackeval


@pytest.fixture(scope='module')
def bonn(shared_data_root):
    from plugins.datasets.bonn_posetrack import load_bonn_annolist, read_layout
    names, _ = read_layout('configs/_base_/datasets/bonn_posetrack.py')
    videos = load_bonn_annolist(shared_data_root / 'bonn_posetrack/train/annolist.mat', names)
    return videos[:8], names


def noisy_predictions(videos, rng):
    preds = copy.deepcopy(videos)
    for v in preds:
        v.is_prediction = True
        for t, f in enumerate(v.frames):
            vis = f.keypoint_scores > 0
            f.keypoints = np.where(vis[..., None], f.keypoints + rng.normal(0, 1.5, f.keypoints.shape),
                                   0).astype(np.float32)
            f.keypoint_scores = vis.astype(np.float32) * 0.9
            ids = f.track_ids.copy()
            ids[ids == 0] = 100 + (t // 7)          # track 0 fragments every 7 frames
            if t % 2 and len(ids) >= 3:             # tracks 1 and 2 swap on odd frames
                one, two = ids == 1, ids == 2
                ids[one], ids[two] = 2, 1
            f.track_ids = ids
            keep = rng.random(len(ids)) > 0.1      # 10% of the persons missed
            for name in ('keypoints', 'keypoint_scores', 'track_ids', 'bboxes', 'head_bboxes',
                         'bbox_scores', 'person_ids'):
                setattr(f, name, getattr(f, name)[keep])
    return preds


def trackeval_keypoint_hota(gts, preds, names, trackeval):
    """Per-joint HOTA fields from trackeval, similarity matrices built with loops."""
    idx, jnames, _ = resolve_evaluated_joints(names, None)
    fv = flatten_videos(gts, preds, len(names), idx, 'default', head_segment=(
        names.index('head_top'), names.index('head_bottom')))
    metric = trackeval.metrics.HOTA()
    out, competing = [], 0
    for j in range(len(idx)):
        per_video = {}
        for v in range(len(gts)):
            frames = np.flatnonzero(fv.frame_video == v)
            gt_ids, tr_ids, sims = [], [], []
            for f in frames:
                g = np.flatnonzero((fv.gt.frame == f) & fv.gt.present[:, j])
                p = np.flatnonzero((fv.pred.frame == f) & fv.pred.present[:, j])
                s = np.zeros((len(g), len(p)))
                for a, gi in enumerate(g):
                    for b, pi in enumerate(p):
                        d = np.hypot(*(fv.pred.keypoints[pi, j] - fv.gt.keypoints[gi, j]))
                        s[a, b] = max(0.0, 1 - d / fv.gt.head_size[gi] / 0.5001)
                competing += int((s > 0).sum(0).max(initial=0) > 1 or
                                 (s > 0).sum(1).max(initial=0) > 1)
                gt_ids.append(fv.gt.track_ids[g])
                tr_ids.append(fv.pred.track_ids[p])
                sims.append(s)
            for ids in (gt_ids, tr_ids):  # contiguous ids per sequence
                uniq = np.unique(np.concatenate(ids)) if ids else np.zeros(0, int)
                for i in range(len(ids)):
                    ids[i] = np.searchsorted(uniq, ids[i]).astype(int)
            data = dict(gt_ids=gt_ids, tracker_ids=tr_ids, similarity_scores=sims,
                        num_timesteps=len(frames),
                        num_gt_ids=len(np.unique(np.concatenate(gt_ids))),
                        num_tracker_ids=len(np.unique(np.concatenate(tr_ids))),
                        num_gt_dets=int(sum(map(len, gt_ids))),
                        num_tracker_dets=int(sum(map(len, tr_ids))))
            per_video[f'v{v}'] = metric.eval_sequence(data)
        out.append(metric.combine_sequences(per_video))
    pg, pp = pairs_within_frames(fv.gt.frame, fv.pred.frame, fv.num_frames)
    dist = pair_joint_distances(fv.gt.keypoints, fv.gt.present, fv.gt.head_size,
                                fv.pred.keypoints, fv.pred.present, pg, pp)
    ours = keypoint_hota(fv, dist, pg, pp, alignment_weighted=True)
    return jnames, out, competing, ours


def test_shared_bonn_ground_truth_as_prediction_hota_100(bonn):
    videos, names = bonn
    preds = copy.deepcopy(videos)
    for v in preds:
        v.is_prediction = True
        for f in v.frames:
            f.keypoint_scores = (f.keypoint_scores > 0).astype(np.float32)
    for mode in ('default', 'poseval'):
        r = evaluate_posetrack(videos, preds, metainfo=names, mode=mode, metrics=('hota',),
                               head_size_fallback='head_segment')
        np.testing.assert_allclose(r.hota['per_joint']['HOTA'], 100.0)
        s = r.summary()
        assert s['DetA'] == pytest.approx(100.0) and s['LocA'] == pytest.approx(100.0)
        if mode == 'default':
            assert s['HOTA'] == pytest.approx(100.0) and s['AssA'] == pytest.approx(100.0)
        else:
            # the kit's Total averages AssA over all joints of each video, also joints that
            # video never has (AssA 0 there): below 100 although every joint is perfect
            assert s['AssA'] < 99.9


def test_shared_bonn_keypoint_hota_equals_trackeval_per_joint(bonn):
    trackeval = import_trackeval()
    videos, names = bonn
    preds = noisy_predictions(videos, np.random.default_rng(0))
    jnames, theirs, competing, ours = trackeval_keypoint_hota(videos, preds, names, trackeval)
    assert competing > 0  # the matching step matters on this data
    for j, res in enumerate(theirs):
        for key in ('HOTA', 'DetA', 'AssA', 'LocA', 'DetRe', 'DetPr', 'AssRe', 'AssPr'):
            np.testing.assert_allclose(ours['per_alpha'][key][:, j], res[key], atol=1e-6,
                                       err_msg=f'{jnames[j]} {key}')
    # the kit's similarity matching (what evaluate_posetrack reports) is close on this data
    r = evaluate_posetrack(videos, preds, metainfo=names, metrics=('map', 'hota'),
                           head_size_fallback='head_segment')
    assert list(r.joint_names) == list(jnames)
    assert abs(r.summary()['HOTA'] - ours['total']['HOTA']) < 2.0
    assert 20 < r.summary()['HOTA'] < 95  # the noise shows

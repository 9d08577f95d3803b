"""The vectorised evaluation against independent references.

* the loop implementation following the official tool step by step, with motmetrics
  accumulators and shapely (``posetrack_reference.py``), on random noisy tracks with crowds,
  duplicates, identity swaps, ignore regions, unlabeled frames and tied scores;
* ``motmetrics.MOTAccumulator`` itself, event by event, for the CLEAR MOT matching.
"""
import motmetrics as mm
import numpy as np
import pytest
from posetrack_reference import reference_evaluate
from random_tracks import BONN_NAMES, make_random_videos

from plugins.datasets.posetrack_json import POSETRACK18_KEYPOINT_NAMES
from plugins.evaluation import evaluate_posetrack
from plugins.evaluation.functional import clear_mot_matches, resolve_evaluated_joints

KEYS = ('ap', 'ap_precision', 'ap_recall', 'num_gt_joints')
MOT = ('mota', 'motp', 'precision', 'recall', 'num_switches', 'num_misses',
       'num_false_positives', 'num_objects', 'num_detections')


@pytest.mark.parametrize('mode', ['default', 'poseval'])
@pytest.mark.parametrize('seed,names,ties', [(0, BONN_NAMES, False), (1, BONN_NAMES, True),
                                             (2, POSETRACK18_KEYPOINT_NAMES, False)])
def test_matches_loop_reference(mode, seed, names, ties):
    gts, prs = make_random_videos(num_videos=3, num_frames=8, max_persons=5, names=names,
                                  seed=seed, crowd=0.15, p_unlabeled=0.1, score_ties=ties)
    r = evaluate_posetrack(gts, prs, metainfo=names, mode=mode)
    idx, _, _ = resolve_evaluated_joints(names)
    ref = reference_evaluate(gts, prs, idx, mode=mode)
    for key in KEYS:
        np.testing.assert_allclose(getattr(r, key), ref[key], rtol=1e-12, atol=1e-9,
                                   err_msg=key)
    for key in MOT:
        np.testing.assert_allclose(r.mot[key], ref[key], rtol=1e-12, atol=1e-9, err_msg=key)
    assert r.mot['num_switches'].sum() > 0  # the case exercises identity switches


def test_clear_mot_matches_equal_motmetrics_events():
    """Random crowded frames with competing candidates: every event type as motmetrics."""
    rng = np.random.default_rng(7)
    acc = mm.MOTAccumulator(auto_id=True)
    o_cell, o_id, h_cell, h_id, c_obj, c_hyp, c_dist = [], [], [], [], [], [], []
    for t in range(60):
        oids = rng.choice(8, rng.integers(0, 6), replace=False)
        hids = rng.choice(12, rng.integers(0, 7), replace=False)
        d = np.where(rng.random((len(oids), len(hids))) < 0.45,
                     np.round(rng.random((len(oids), len(hids))), 1), np.nan)
        acc.update(oids, hids, d)
        base_o, base_h = len(o_id), len(h_id)
        o_cell += [t] * len(oids)
        o_id += oids.tolist()
        h_cell += [t] * len(hids)
        h_id += hids.tolist()
        i, j = np.nonzero(np.isfinite(d))
        c_obj += (base_o + i).tolist()
        c_hyp += (base_h + j).tolist()
        c_dist += d[i, j].tolist()
    m = clear_mot_matches(np.array(o_cell), np.array(o_id), np.array(h_cell), np.array(h_id),
                          np.array(c_obj), np.array(c_hyp), np.array(c_dist))
    ev = acc.events
    counts = ev.Type.value_counts()
    assert len(m.obj) == counts['MATCH'] + counts['SWITCH']
    assert m.is_switch.sum() == counts['SWITCH'] > 0
    assert m.is_ascend.sum() == counts.get('ASCEND', 0) > 0
    assert m.is_transfer.sum() == counts.get('TRANSFER', 0) > 0
    assert m.is_migrate.sum() == counts.get('MIGRATE', 0) > 0
    matched = ev[ev.Type.isin(['MATCH', 'SWITCH'])]
    assert m.dist.sum() == pytest.approx(matched.D.sum())
    # the same (frame, object, hypothesis) pairs
    ours = sorted(zip(np.array(o_cell)[m.obj], np.array(o_id)[m.obj], np.array(h_id)[m.hyp]))
    theirs = sorted(zip(matched.index.get_level_values(0), matched.OId.astype(int),
                        matched.HId.astype(int)))
    assert ours == theirs
    assert len(o_id) - len(m.obj) == counts['MISS']
    assert len(h_id) - len(m.obj) == counts['FP']


def test_tracking_counts_equal_motmetrics_on_one_sequence():
    """MOTA of one joint of one video, from a motmetrics accumulator fed directly."""
    gts, prs = make_random_videos(num_videos=1, num_frames=15, max_persons=4, seed=3,
                                  crowd=0.2, p_ignore=0.0)
    r = evaluate_posetrack(gts, prs, metainfo=BONN_NAMES)
    k = BONN_NAMES.index('head_top')
    j = r.joint_names.index('head_top')
    acc = mm.MOTAccumulator(auto_id=True)
    for gf, pf in zip(gts[0].frames, prs[0].frames):
        g = gf.keypoint_scores[:, k] > 0
        p = np.ones(len(pf.keypoints), bool)
        hs = 0.6 * np.hypot(*(gf.head_bboxes[g, 2:] - gf.head_bboxes[g, :2]).T)
        d = np.linalg.norm(gf.keypoints[g, None, k].astype(float)
                           - pf.keypoints[None, p, k].astype(float), axis=-1) / hs[:, None]
        acc.update(gf.track_ids[g], pf.track_ids[p], np.where(d <= 0.5, d, np.nan))
    s = mm.metrics.create().compute(acc, metrics=['mota', 'num_switches', 'num_objects'],
                                    return_dataframe=False)
    assert r.mot['mota'][j] == pytest.approx(100 * s['mota'])
    assert r.mot['num_switches'][j] == s['num_switches']
    assert r.mot['num_objects'][j] == s['num_objects']

"""Learning the pose NMS parameters: the alternating search and the AP objective."""
import json
import math
import pickle

import numpy as np
import pytest

from plugins.post_processing.pose_nms_fitting import (CandidatePoses, alternating_search,
                                                      nms_coco_ap, rescore)
from plugins.post_processing.parametric_pose_nms import PoseNMSParams
from plugins.post_processing.pose_nms_presets import pose_nms_preset

from .rmpe_test_utils import load_tool

K = 17
COCO_SIGMAS = [.026, .025, .025, .035, .035, .079, .079, .072, .072, .062, .062, .107, .107,
               .087, .087, .089, .089]


def test_alternating_search_reaches_the_grid_optimum_of_a_separable_objective():
    target = dict(sigma1=4.0, sigma2=0.25, lam=2.0, eta=8.0)  # init * 2^k, on the grid

    def objective(p):
        return -sum(math.log2(p[k] / target[k])**2 for k in target)

    init = dict(sigma1=1.0, sigma2=1.0, lam=1.0, eta=1.0)
    best, history = alternating_search(objective, init, factors=(0.5, 1.0, 2.0), max_rounds=20)
    for k in target:
        assert best[k] == pytest.approx(target[k])
    # the accepted score never decreases and the first entry is the initial point
    assert history[0]['params'] == init
    scores = [h['score'] for h in history]
    assert max(scores) == pytest.approx(0.0)
    # only pairs are optimised at a time: every evaluation changes at most one pair
    for h in history[1:]:
        assert len(h['pair']) == 2


def test_alternating_search_stops_when_nothing_improves():
    calls = []

    def objective(p):
        calls.append(1)
        return 1.0  # flat: the initial point is optimal

    best, history = alternating_search(objective, dict(sigma1=1, sigma2=1, lam=1, eta=1),
                                       factors=(0.5, 1.0, 2.0))
    assert best == dict(sigma1=1, sigma2=1, lam=1, eta=1)
    assert len(calls) == 1 + 2 * 8  # one round: two pairs x (9 grid points - the current one)
    with pytest.raises(ValueError, match='contain 1'):
        alternating_search(objective, best, factors=(0.5, 2.0))


def test_rescore_matches_coco_metric_rule():
    s = np.array([[0.1, 0.5, 0.9], [0.1, 0.2, 0.15]])
    np.testing.assert_allclose(rescore(s, np.array([0.8, 0.5]), 0.2), [0.8 * 0.7, 0.0])


def tiny_coco(tmp_path, seed=0):
    """A COCO keypoint GT file of 3 images x 2 people and candidates with duplicates."""
    rng = np.random.default_rng(seed)
    images, anns, records = [], [], []
    for img in range(3):
        images.append(dict(id=img + 1, file_name=f'{img}.jpg', width=640, height=480))
        for j in range(2):
            p = rng.uniform([60 + 250 * j, 60], [200 + 250 * j, 400], (K, 2))
            box = np.concatenate([p.min(0), p.max(0)])
            anns.append(dict(id=len(anns) + 1, image_id=img + 1, category_id=1, iscrowd=0,
                             num_keypoints=K, area=float(np.prod(box[2:] - box[:2])),
                             bbox=[*box[:2], *(box[2:] - box[:2])],
                             keypoints=np.concatenate([p, np.full((K, 1), 2)], 1).ravel().tolist()))
            # the true pose, a near duplicate and a looser duplicate whose box score ranks it
            # above other people's true poses (duplicates then cost precision without NMS)
            u = rng.uniform(0.5, 0.9)
            for jitter, kscore, bscore in ((1.0, 0.9, u), (2.0, 0.6, 0.8 * u),
                                           (5.0, 0.85, min(u + 0.1, 1.0))):
                q = p + rng.normal(0, jitter, (K, 2))
                records.append(dict(image_id=img + 1, keypoints=q,
                                    keypoint_scores=np.full(K, kscore),
                                    bbox=np.concatenate([q.min(0) - 5, q.max(0) + 5]),
                                    bbox_score=bscore))
    gt = dict(images=images, annotations=anns,
              categories=[dict(id=1, name='person', keypoints=[str(i) for i in range(K)],
                               skeleton=[])])
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(gt))
    return path, records


def load_coco(path):
    import contextlib
    import io
    from xtcocotools.coco import COCO
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


def test_nms_raises_ap_over_no_nms_on_duplicates(tmp_path):
    path, records = tiny_coco(tmp_path)
    coco = load_coco(path)
    cands = CandidatePoses.from_records(records)
    assert len(cands) == 18 and cands.image_ids == [1, 2, 3]
    no_nms = nms_coco_ap(coco, cands, None, COCO_SIGMAS)
    with_nms = nms_coco_ap(coco, cands, PoseNMSParams(**pose_nms_preset('alphapose')),
                           COCO_SIGMAS)
    assert 0 <= no_nms < with_nms <= 1
    # eta so large nothing is eliminated (and no match rule): the same as no NMS when the kept
    # poses are rescored like CocoMetric; scored by the NMS output (mean joint score, which
    # ignores the box scores) the ranking and so the AP differ
    keep_all = PoseNMSParams(**pose_nms_preset('paper')).replace(eta=1e9, merge_radius=0.0)
    assert nms_coco_ap(coco, cands, keep_all, COCO_SIGMAS, 'coco') == pytest.approx(no_nms)
    assert nms_coco_ap(coco, cands, keep_all, COCO_SIGMAS, 'nms') != pytest.approx(no_nms)


@pytest.mark.parametrize('fmt', ['pkl', 'json'])
def test_fit_pose_nms_tool_improves_or_keeps_ap(tmp_path, fmt):
    main = load_tool('tools/analysis/fit_pose_nms.py').main
    path, records = tiny_coco(tmp_path)
    if fmt == 'pkl':  # tools/test.py --out: one dict per box with pred_instances
        dump = [dict(img_id=r['image_id'], id=i, pred_instances=dict(
            keypoints=r['keypoints'][None], keypoint_scores=r['keypoint_scores'][None],
            bboxes=r['bbox'][None], bbox_scores=np.array([r['bbox_score']])))
            for i, r in enumerate(records)]
        cand_path = tmp_path / 'preds.pkl'
        cand_path.write_bytes(pickle.dumps(dump))
    else:  # COCO results with the box each pose was estimated in
        res = [dict(image_id=r['image_id'], category_id=1, score=r['bbox_score'],
                    bbox=[*r['bbox'][:2], *(r['bbox'][2:] - r['bbox'][:2])],
                    keypoints=np.concatenate([r['keypoints'], r['keypoint_scores'][:, None]],
                                             1).ravel().tolist()) for r in records]
        cand_path = tmp_path / 'cands.json'
        cand_path.write_text(json.dumps(res))
    out = tmp_path / 'fit.json'
    result = main([str(path), str(cand_path), '--preset', 'paper', '--factors', '0.25', '1',
                   '4', '--max-rounds', '2', '--out', str(out)])
    assert result['best_ap'] >= result['init_ap']
    assert result['best_ap'] > result['no_nms_ap']
    saved = json.loads(out.read_text())
    assert set(saved['best']) == {'sigma1', 'sigma2', 'lam', 'eta'}
    # the reported AP is the AP of the reported parameters
    coco = load_coco(path)
    params = PoseNMSParams(**{**pose_nms_preset('paper'), **saved['best']})
    assert nms_coco_ap(coco, CandidatePoses.from_records(records), params,
                       COCO_SIGMAS) == pytest.approx(saved['best_ap'])


def test_fit_pose_nms_tool_rejects_candidates_without_boxes(tmp_path):
    load_candidates = load_tool('tools/analysis/fit_pose_nms.py').load_candidates
    bad = tmp_path / 'c.json'
    bad.write_text(json.dumps([dict(image_id=1, keypoints=[0] * 51, score=1.0)]))
    with pytest.raises(ValueError, match='bbox'):
        load_candidates(str(bad))

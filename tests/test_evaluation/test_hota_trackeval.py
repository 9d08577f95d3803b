"""The HOTA core (``plugins.evaluation.functional.hota``) against the ``trackeval`` package.

Both get the same per-frame similarity matrices; every HOTA field at every threshold must agree
to 1e-6, per sequence and combined over sequences. ``trackeval`` is a test requirement
(``requirements/tests-nodeps.txt``); it is imported through :func:`import_trackeval`, which
restores the NumPy-1 aliases (``np.float``, ``np.int``, ``np.bool``) older releases use.
"""
import numpy as np
import pytest

from plugins.evaluation.functional.hota import ALPHAS, hota_from_similarities

FIELDS = ('HOTA', 'DetA', 'AssA', 'DetRe', 'DetPr', 'AssRe', 'AssPr', 'LocA', 'HOTA_TP',
          'HOTA_FN', 'HOTA_FP')


def import_trackeval():
    """``trackeval``, with NumPy-1 aliases added for releases that still use them."""
    for alias, typ in (('float', float), ('int', int), ('bool', bool)):
        if alias not in np.__dict__:
            setattr(np, alias, typ)
    return pytest.importorskip('trackeval')


def random_sequence(rng, n_frames, n_gt_ids, n_tr_ids, p_gt=0.7, p_tr=0.7, p_zero=0.4):
    """trackeval's sequence dict with random ids and similarities (contiguous ids)."""
    gt_ids, tr_ids, sims = [], [], []
    for _ in range(n_frames):
        g = np.flatnonzero(rng.random(n_gt_ids) < p_gt)
        t = np.flatnonzero(rng.random(n_tr_ids) < p_tr)
        rng.shuffle(g)
        rng.shuffle(t)
        s = rng.random((len(g), len(t)))
        s[rng.random(s.shape) < p_zero] = 0.0
        # some exact ties and values on the thresholds
        if s.size:
            s.flat[rng.integers(0, s.size)] = 0.5
            s.flat[rng.integers(0, s.size)] = s.flat[rng.integers(0, s.size)]
        gt_ids.append(g)
        tr_ids.append(t)
        sims.append(s)
    # relabel to contiguous ids, as trackeval's datasets do
    for ids in (gt_ids, tr_ids):
        uniq = np.unique(np.concatenate(ids)) if any(len(i) for i in ids) else np.zeros(0, int)
        remap = {int(u): k for k, u in enumerate(uniq)}
        for i in range(len(ids)):
            ids[i] = np.array([remap[int(x)] for x in ids[i]], dtype=int)
    return dict(gt_ids=gt_ids, tracker_ids=tr_ids, similarity_scores=sims,
                num_timesteps=n_frames,
                num_gt_ids=len(np.unique(np.concatenate(gt_ids))) if n_frames else 0,
                num_tracker_ids=len(np.unique(np.concatenate(tr_ids))) if n_frames else 0,
                num_gt_dets=int(sum(len(g) for g in gt_ids)),
                num_tracker_dets=int(sum(len(t) for t in tr_ids)))


def flat_inputs(seqs):
    """The core's flat arrays for several sequences (ids made distinct per sequence)."""
    gt_cell, gt_id, gt_grp, pr_cell, pr_id, pr_grp = [], [], [], [], [], []
    cg, cp, cs = [], [], []
    cell = 0
    for s_i, seq in enumerate(seqs):
        for g, t, s in zip(seq['gt_ids'], seq['tracker_ids'], seq['similarity_scores']):
            g0, p0 = len(gt_id), len(pr_id)
            gt_cell += [cell] * len(g)
            gt_id += [s_i * 10000 + int(x) for x in g]
            gt_grp += [s_i] * len(g)
            pr_cell += [cell] * len(t)
            pr_id += [s_i * 10000 + int(x) for x in t]
            pr_grp += [s_i] * len(t)
            r, c = np.nonzero(s)
            cg += (r + g0).tolist()
            cp += (c + p0).tolist()
            cs += s[r, c].tolist()
            cell += 1
    a = np.asarray
    return dict(gt_cell=a(gt_cell, np.int64), gt_id=a(gt_id, np.int64),
                pr_cell=a(pr_cell, np.int64), pr_id=a(pr_id, np.int64),
                cand_gt=a(cg, np.int64), cand_pr=a(cp, np.int64), cand_sim=a(cs, np.float64),
                gt_group=a(gt_grp, np.int64), pr_group=a(pr_grp, np.int64))


def assert_fields_equal(ours, theirs, col=None):
    for f in FIELDS:
        mine = ours[f] if col is None else ours[f][:, col]
        np.testing.assert_allclose(mine, np.asarray(theirs[f], float), rtol=0, atol=1e-6,
                                   err_msg=f)


@pytest.mark.parametrize('seed', range(6))
def test_core_equals_trackeval_per_sequence_and_combined(seed):
    trackeval = import_trackeval()
    rng = np.random.default_rng(seed)
    seqs = [random_sequence(rng, int(rng.integers(1, 25)), int(rng.integers(1, 7)),
                            int(rng.integers(1, 7))) for _ in range(4)]
    metric = trackeval.metrics.HOTA()
    theirs = {f'seq{i}': metric.eval_sequence(s) for i, s in enumerate(seqs)}
    combined = metric.combine_sequences(theirs)

    flat = flat_inputs(seqs)
    per_seq = hota_from_similarities(num_groups=len(seqs), **flat).fields()
    for i in range(len(seqs)):
        assert_fields_equal(per_seq, theirs[f'seq{i}'], col=i)
    flat['gt_group'][:] = 0
    flat['pr_group'][:] = 0
    pooled = hota_from_similarities(num_groups=1, **flat).fields()
    assert_fields_equal(pooled, combined, col=0)
    # the matching step must have mattered: some frames have competing candidates
    assert any((s > 0).sum(0).max(initial=0) > 1 for q in seqs for s in q['similarity_scores'])


def test_empty_sequences_equal_trackeval():
    trackeval = import_trackeval()
    rng = np.random.default_rng(1)
    full = random_sequence(rng, 5, 3, 3)
    no_pred = random_sequence(rng, 4, 2, 1, p_tr=0.0)
    no_gt = random_sequence(rng, 4, 1, 2, p_gt=0.0)
    seqs = [full, no_pred, no_gt]
    metric = trackeval.metrics.HOTA()
    theirs = {f's{i}': metric.eval_sequence(s) for i, s in enumerate(seqs)}
    combined = metric.combine_sequences(theirs)
    flat = flat_inputs(seqs)
    flat['gt_group'][:] = 0
    flat['pr_group'][:] = 0
    assert_fields_equal(hota_from_similarities(num_groups=1, **flat).fields(), combined, col=0)


def test_similarity_matching_equals_trackeval_without_competition():
    """Without competing candidates both matching scores give the same matches."""
    trackeval = import_trackeval()
    rng = np.random.default_rng(3)
    seq = random_sequence(rng, 12, 4, 4, p_zero=0.0)
    for s in seq['similarity_scores']:  # keep one candidate per row and column
        if s.size:
            keep = np.zeros_like(s, bool)
            n = min(s.shape)
            keep[np.arange(n), rng.permutation(s.shape[1])[:n]] = True
            s[~keep] = 0
    theirs = trackeval.metrics.HOTA().eval_sequence(seq)
    flat = flat_inputs([seq])
    ours = hota_from_similarities(num_groups=1, alignment_weighted=False, **flat).fields()
    assert_fields_equal(ours, theirs, col=0)


def test_alphas_are_trackevals():
    trackeval = import_trackeval()
    np.testing.assert_array_equal(ALPHAS, trackeval.metrics.HOTA().array_labels)

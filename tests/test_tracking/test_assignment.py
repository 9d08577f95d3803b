"""Assignment of tracks to detections against hand-computed optima and scipy."""
import numpy as np
from scipy.optimize import linear_sum_assignment

from plugins.tracking.assignment import ASSIGNERS, hungarian_assignment


def test_hungarian_gated_rows_are_never_matched():
    """Gated pairs (-inf, as a tracker's gate writes them) leave whole rows out instead of
    making scipy call the matrix infeasible."""
    sim = np.array([[-np.inf, -np.inf, -np.inf],
                    [0.9, 0.2, -np.inf],
                    [0.8, 0.7, -np.inf]])
    pairs = hungarian_assignment(sim, 0.1)
    # optimum over the allowed pairs: (1, 0) + (2, 1) = 1.6 beats (1, 1) + (2, 0) = 1.0
    assert sorted(map(tuple, pairs.tolist())) == [(1, 0), (2, 1)]


def test_hungarian_all_gated_and_empty():
    assert hungarian_assignment(np.full((2, 3), -np.inf), 0.0).shape == (0, 2)
    assert hungarian_assignment(np.zeros((0, 3)), 0.0).shape == (0, 2)


def test_hungarian_equals_scipy_without_gates():
    rng = np.random.default_rng(0)
    for _ in range(20):
        sim = rng.uniform(0, 1, (5, 7))
        rows, cols = linear_sum_assignment(sim, maximize=True)
        keep = sim[rows, cols] >= 0.3
        expect = sorted(zip(rows[keep].tolist(), cols[keep].tolist()))
        assert sorted(map(tuple, hungarian_assignment(sim, 0.3).tolist())) == expect


def test_gated_optimum_uses_fewest_gated_pairs():
    """Random gated matrices: the result equals brute force over allowed pairs only."""
    from itertools import permutations
    rng = np.random.default_rng(1)
    for _ in range(30):
        sim = rng.uniform(0, 1, (3, 3))
        sim[rng.uniform(size=(3, 3)) < 0.4] = -np.inf
        best, best_pairs = -1.0, []
        for perm in permutations(range(3)):
            pairs = [(t, d) for t, d in enumerate(perm) if np.isfinite(sim[t, d])]
            total = sum(sim[t, d] for t, d in pairs)
            if (len(pairs), total) > (len(best_pairs), best):
                best, best_pairs = total, pairs
        got = sorted(map(tuple, ASSIGNERS['hungarian'](sim, -1.0).tolist()))
        assert got == sorted(best_pairs)

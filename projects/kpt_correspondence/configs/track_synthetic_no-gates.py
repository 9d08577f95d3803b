# Ablation: the defaults without the gated score / nomination order (mean-affinity score,
# global greedy matching, as the first version).
_base_ = ['./track_synthetic.py']
tracker = dict(score='affinity', assignment='greedy', match_threshold=0.04)

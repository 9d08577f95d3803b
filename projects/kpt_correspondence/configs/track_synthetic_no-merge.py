# Ablation: no offline track merging.
_base_ = ['./track_synthetic.py']
tracker = dict(merge=None)

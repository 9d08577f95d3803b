# Ablation (paper Table 7): no duplicate removal.
_base_ = ['./track_synthetic.py']
tracker = dict(duplicate_removal=None)

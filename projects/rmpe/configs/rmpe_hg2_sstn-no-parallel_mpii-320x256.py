# Ablation (MPII multi-person): symmetric STN without the parallel SPPE branch.
_base_ = ['./rmpe_hg2_sstn-dpg_mpii-320x256.py']
model = dict(parallel_sppe=None)

# RMPE with an 8-stack hourglass SPPE (Newell et al.'s full depth); everything else as the
# 2-stack config.
_base_ = ['./rmpe_hg2_sstn-dpg_coco-320x256.py']
model = dict(sppe=dict(backbone=dict(num_stacks=8), head=dict(num_stages=8)))

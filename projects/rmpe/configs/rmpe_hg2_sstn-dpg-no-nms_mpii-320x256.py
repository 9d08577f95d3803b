# Ablation (MPII multi-person): no pose NMS; the pose of every detected box is evaluated.
_base_ = ['./rmpe_hg2_sstn-dpg_mpii-320x256.py']
val_evaluator = dict(pose_nms=None)
test_evaluator = val_evaluator

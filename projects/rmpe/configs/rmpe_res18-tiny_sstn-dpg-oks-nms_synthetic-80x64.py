# Ablation (synthetic): OKS-NMS (OKS > 0.9 to a more confident pose) instead of the parametric
# pose NMS at evaluation; the OKS sigmas come from the dataset metainfo.
_base_ = ['./rmpe_res18-tiny_sstn-dpg_synthetic-80x64.py']
pose_nms = dict(type='OKSNMS', threshold=0.9)
val_evaluator = dict(pose_nms=dict(_delete_=True, **pose_nms))
test_evaluator = val_evaluator

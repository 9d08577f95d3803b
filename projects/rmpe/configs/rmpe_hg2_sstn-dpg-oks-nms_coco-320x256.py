# Ablation: OKS-NMS (mmpose's COCO rule: OKS > 0.9 to a more confident pose) instead of the
# parametric pose NMS; the OKS sigmas come from the dataset metainfo.
_base_ = ['./rmpe_hg2_sstn-dpg_coco-320x256.py']
pose_nms = dict(type='OKSNMS', threshold=0.9)
val_evaluator = dict(pose_nms=dict(_delete_=True, **pose_nms))
test_evaluator = val_evaluator

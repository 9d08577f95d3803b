# Ablation row "PoseNMS of [6]" (MPII multi-person): the parametric pose NMS replaced by another
# pose NMS. [6] is a reference of the RMPE paper whose NMS we could not consult here; this
# config uses OKS-NMS (mmpose's COCO rule: a pose is dropped when its OKS to a more confident
# pose exceeds 0.9; sigmas from the MPII metainfo) as a STAND-IN, not as [6]'s method.
_base_ = ['./rmpe_hg2_sstn-dpg_mpii-320x256.py']
pose_nms = dict(type='OKSNMS', threshold=0.9)
val_evaluator = dict(pose_nms=dict(_delete_=True, **pose_nms))
test_evaluator = val_evaluator

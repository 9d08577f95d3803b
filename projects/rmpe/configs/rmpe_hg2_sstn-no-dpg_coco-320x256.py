# Ablation: no Deep Proposals Generator (no DPGScheduleHook, so the DeepProposalsGenerator of
# the pipeline stays disabled: ground-truth boxes only).
_base_ = ['./rmpe_hg2_sstn-dpg_coco-320x256.py']
custom_hooks = [dict(type='SyncBuffersHook')]

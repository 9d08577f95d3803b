# Ablation (MPII multi-person): no Deep Proposals Generator (ground-truth training boxes only,
# extended by 20% like every config): the DPG transform and its hook are removed.
_base_ = ['./rmpe_hg2_sstn-dpg_mpii-320x256.py']
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding={{_base_.bbox_padding}}),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform', shift_prob=0.0),
    dict(type='TopdownAffine', input_size={{_base_.codec.input_size}}),
    dict(type='GenerateTarget', encoder={{_base_.codec}}),
    dict(type='PackPoseInputs', pack_transformed=True)
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
custom_hooks = [dict(type='SyncBuffersHook')]

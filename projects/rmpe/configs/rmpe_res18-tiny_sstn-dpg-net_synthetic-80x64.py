# RMPE on the synthetic data with a fitted DPG (mode 'proposal_network': a small network
# scores random boxes around each person, encoded as a proposal indicator image + the pose in
# per-joint colours; one of the top 4 of 32 candidates is the training box) instead of
# the AlphaPose preset; everything else as rmpe_res18-tiny_sstn-dpg_synthetic-80x64.py.
# Fitted from the simulated detector boxes of the training set:
#   python projects/rmpe/tools/prepare_synthetic.py data/synthetic
# (or the fit_dpg.py command it prints). Only the DPG entry of the training pipeline changes.
_base_ = ['./rmpe_res18-tiny_sstn-dpg_synthetic-80x64.py']
dpg = dict(type='DeepProposalsGenerator', mode='proposal_network',
           dpg_file='data/synthetic/rmpe/dpg_proposal_network_train.pth', num_candidates=32,
           top_k=4, enabled=False)
train_pipeline = [
    dict(type='LoadImage'),
    dpg,
    dict(type='GetBBoxCenterScale', padding={{_base_.bbox_padding}}),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform', shift_prob=0.0),
    dict(type='TopdownAffine', input_size={{_base_.codec.input_size}}),
    dict(type='GenerateTarget', encoder={{_base_.codec}}),
    dict(type='PackPoseInputs', pack_transformed=True)
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# Ablation (MPII multi-person): no symmetric STN and no parallel SPPE (the SPPE alone); data,
# DPG, proposal extension and pose NMS unchanged. Also the pretrained SPPE the MPII RMPE config
# starts from.
_base_ = ['./rmpe_hg2_sstn-dpg_mpii-320x256.py']
model = dict(
    _delete_=True,
    type='TopdownPoseEstimator',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone={{_base_.hourglass}},
    head={{_base_.head}},
    test_cfg={{_base_.sppe_test_cfg}})

# Ablation (synthetic): no symmetric STN and no parallel SPPE, the SPPE alone; data, DPG,
# proposal extension, schedule and pose NMS unchanged. Also trains the pretrained SPPE that the
# RMPE config starts from.
_base_ = ['./rmpe_res18-tiny_sstn-dpg_synthetic-80x64.py']
model = dict(
    _delete_=True,
    type='TopdownPoseEstimator',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone={{_base_.backbone}},
    head={{_base_.head}},
    test_cfg={{_base_.sppe_test_cfg}})

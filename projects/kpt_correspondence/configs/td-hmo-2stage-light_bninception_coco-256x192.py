# The two-stage heatmap + offset estimator with the light stage 2 (a named cheaper option, NOT
# the paper's): two 3x3 convolutions (256 channels) on stage 1's head features + heatmaps +
# offsets instead of BN-Inception layers 3-17. Everything else as
# td-hmo-2stage_bninception_coco-256x192.py.
_base_ = ['./td-hmo-2stage_bninception_coco-256x192.py']

model = dict(
    backbone=dict(out_layers=(17, )),
    head=dict(
        stage2='light',
        stage2_channels=(256, 256),
        stage2_backbone=None))

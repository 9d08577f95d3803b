# Stage 2 of the stride-4 model at CPU size: the refinement module (BN-Inception layers 3-7 at
# 1/4 width, as the stride-8/16 tiny models; they down-sample the 48x36 maps by 2) with its own
# decoder (one transposed convolution) back to the map size instead of bilinear upsampling, on
# the frozen matcher of siamese_bninception-s4-tiny_synthetic-192x144.py.
_base_ = ['./siamese_bninception-s4-tiny_synthetic-192x144.py']

model = dict(
    freeze_siamese=True,
    refinement=dict(
        _delete_=True,
        type='AffinityRefinement',
        backbone=dict(type='BNInception', first_layer=3, last_layer=7, widen_factor=0.25),
        deconv_out_channels=(32, )))
load_from = 'work_dirs/siamese_bninception-s4-tiny_synthetic-192x144/epoch_6.pth'

max_epochs = 2
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=10, start_factor=0.05, by_epoch=False),
    dict(type='CosineAnnealingLR', eta_min=2e-5, begin=0, end=max_epochs, T_max=max_epochs,
         by_epoch=True, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))

# Stage 2 of the stride-16 CPU-size reference: the refinement module (BN-Inception layers 3-7 at
# 1/4 width; the 12x9 maps squeezed to 3x3, prediction upsampled bilinearly, as the stride-16
# COCO model) on the frozen matcher of siamese_bninception-s16-tiny_synthetic-192x144.py.
_base_ = ['./siamese_bninception-s16-tiny_synthetic-192x144.py']

model = dict(
    freeze_siamese=True,
    refinement=dict(
        _delete_=True,
        type='AffinityRefinement',
        backbone=dict(type='BNInception', first_layer=3, last_layer=7, widen_factor=0.25)))
load_from = 'work_dirs/siamese_bninception-s16-tiny_synthetic-192x144/epoch_6.pth'

max_epochs = 2
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=10, start_factor=0.05, by_epoch=False),
    dict(type='CosineAnnealingLR', eta_min=2e-5, begin=0, end=max_epochs, T_max=max_epochs,
         by_epoch=True, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))

# Stage 2 of the module-wise training: the refinement module (BN-Inception layers 3-17 on both
# feature maps + one person's affinity maps, batched over persons) trained with the Siamese
# matcher of stage 1 frozen (no gradient, fixed BatchNorm statistics); BCE on the refined maps.
_base_ = ['./siamese_bninception_coco-384x384.py']

model = dict(
    freeze_siamese=True,
    refinement=dict(
        _delete_=True,
        type='AffinityRefinement',
        backbone=dict(type='BNInception', first_layer=3, last_layer=17, init_cfg=None)))
load_from = 'work_dirs/siamese_bninception_coco-384x384/epoch_20.pth'

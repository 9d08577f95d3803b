# Stage 2 of the stride-4 model: the refinement module (BN-Inception layers 3-17 on both 32-channel
# embeddings + one person's 17 affinity maps, 81 channels at 128x128; layers 3-17 reach 32x32)
# with its own decoder of two transposed convolutions back to the 128x128 maps, instead of the
# stride-16 model's squeeze to 6x6 and bilinear upsampling. Siamese frozen, BCE on the refined
# maps, load_from stage 1.
_base_ = ['./siamese_bninception-s4_coco-512x512.py']

model = dict(
    freeze_siamese=True,
    refinement=dict(
        _delete_=True,
        type='AffinityRefinement',
        backbone=dict(type='BNInception', first_layer=3, last_layer=17, init_cfg=None),
        deconv_out_channels=(128, 64)))
load_from = 'work_dirs/siamese_bninception-s4_coco-512x512/epoch_20.pth'

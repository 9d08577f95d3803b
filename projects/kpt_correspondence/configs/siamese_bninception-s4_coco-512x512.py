# Stride-4 correspondence maps (issue #16 item 5; the design follows the public follow-up of the
# paper, not the ECCV paper itself): BN-Inception to its end (layer 23, inception_5b, stride 32),
# decoded back to stride 4 by three transposed convolutions with a skip from the stride-16
# features (inception_4d), into a 32-channel embedding (BNInceptionStride4), at a 512x512
# letter-boxed input -> 128x128 maps (one cell = 4 input px; the stride-16 model: 24x24 cells
# of 16 px at 384x384). Stage 1 of the module-wise training; stage 2:
# refine_bninception-s4_coco-512x512.py. Target sigma: 2 cells (8 px), our choice.
_base_ = ['./siamese_bninception_coco-384x384.py']

input_size = (512, 512)
map_size = (128, 128)  # output stride 4
codec = dict(type='CorrespondenceMaps', input_size=input_size, heatmap_size=map_size, sigma=2.0)

model = dict(
    input_size=input_size,
    matcher=dict(backbone=dict(
        _delete_=True,
        type='BNInceptionStride4',
        skip_layer=17,
        decoder_channels=(256, 128, 64),
        embed_channels=32,
        # ImageNet weights for the trunk: convert a BN-Inception checkpoint first
        init_cfg=None)))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LetterboxImage', input_size=input_size),
    dict(type='AffineImagePair', input_size=input_size, shift_factor=0.15, rotate_factor=30.0,
         scale_factor=(0.75, 1.25), flip_prob=0.5, max_persons=10),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='LetterboxImage', input_size=input_size),
    dict(type='AffineImagePair', input_size=input_size, shift_factor=0.15, rotate_factor=30.0,
         scale_factor=(0.75, 1.25), flip_prob=0.5, seed=0),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=('id', 'img_id', 'img_path', 'input_size',
                                           'img_shape', 'flip_indices'))
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader

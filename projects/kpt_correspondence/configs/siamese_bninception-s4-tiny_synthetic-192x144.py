# Stride-4 correspondence maps at CPU size (issue #16 item 5, our design): BN-Inception to its
# end (layer 23, stride 32) at 1/4 width, decoded back to stride 4 by transposed convolutions
# with a skip from the stride-16 features (inception_4d), into a 32-channel embedding
# (BNInceptionStride4). 192x144 letter-boxed frames -> 48x36 maps (one cell = 4 input px,
# against 16 px for the stride-16 model siamese_bninception-s16-tiny_synthetic-192x144.py).
# Target sigma: 2 cells (8 px), our choice (the stride-16 model: 1 cell = 16 px).
_base_ = ['./siamese_bninception-tiny_synthetic-192x144.py']

map_size = (48, 36)  # output stride 4
codec = dict(type='CorrespondenceMaps', input_size={{_base_.input_size}}, heatmap_size=map_size,
             sigma=2.0)
model = dict(matcher=dict(backbone=dict(
    _delete_=True,
    type='BNInceptionStride4',
    widen_factor=0.25,
    skip_layer=17,
    decoder_channels=(64, 32, 32),
    embed_channels=32)))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LetterboxImage', input_size={{_base_.input_size}}),
    dict(type='AffineImagePair', input_size={{_base_.input_size}}, shift_factor=0.15,
         rotate_factor=20.0, scale_factor=(0.8, 1.25), flip_prob=0.5, max_persons=5),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='LetterboxImage', input_size={{_base_.input_size}}),
    dict(type='AffineImagePair', input_size={{_base_.input_size}}, shift_factor=0.15,
         rotate_factor=20.0, scale_factor=(0.8, 1.25), flip_prob=0.5, seed=0),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=('id', 'img_id', 'img_path', 'input_size',
                                           'img_shape', 'flip_indices'))
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader

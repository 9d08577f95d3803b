# The stride-16 Siamese matcher at CPU size, the reference of the stride-4 comparison
# (siamese_bninception-s4-tiny_synthetic-192x144.py): BN-Inception layers 1-17 (inception_4d,
# output stride 16, as the COCO config) at 1/4 width; 192x144 letter-boxed frames -> 12x9 maps.
_base_ = ['./siamese_bninception-tiny_synthetic-192x144.py']

map_size = (12, 9)  # output stride 16
codec = dict(type='CorrespondenceMaps', input_size={{_base_.input_size}}, heatmap_size=map_size,
             sigma=1.0)
model = dict(matcher=dict(backbone=dict(last_layer=17)))

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

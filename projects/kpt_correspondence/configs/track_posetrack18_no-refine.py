# Paper Table 7: correspondences from the Siamese matcher alone (no refinement module), in the
# recovery, the tracker and the track merging (they share the network).
_base_ = ['./track_posetrack18.py']
siamese_config = 'projects/kpt_correspondence/configs/siamese_bninception_coco-384x384.py'
siamese_checkpoint = 'work_dirs/siamese_bninception_coco-384x384/epoch_20.pth'
tracking_pipeline = dict(
    models=dict(corr_net=dict(model=siamese_config, checkpoint=siamese_checkpoint)))

# AFLink tracklet linking, then interpolation, after any tracker (mmdet's StrongSORT order).
# AFLink's checkpoint is mmdet's MOT17 model (downloaded on first use); temporal_threshold
# starts at 1 (see plugins/tracking/mmdet_aflink.py), spatial_threshold=50 and
# confidence_threshold=0.95 are mmdet's StrongSORT config values.
post_processors = [
    dict(type='AFLink',
         checkpoint='https://download.openmmlab.com/mmtracking/mot/strongsort/mot_dataset/'
         'aflink_motchallenge_20220812_190310-a7578ad3.pth',
         temporal_threshold=(1, 30), spatial_threshold=50, confidence_threshold=0.95),
    dict(type='TrackletInterpolation', min_num_frames=5, max_num_frames=20),
]

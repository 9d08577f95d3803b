# Tracklet interpolation after any tracker (plugins/tracking/mmdet_interpolation.py): mmdet's
# InterpolateTracklets rule for whole poses, with mmdet's ByteTrack/StrongSORT config values
# (tracks longer than 5 frames, gaps shorter than 20 frames).
# Use: `tracking_pipeline = dict(post_processors={{_base_.post_processors}})` or
# `tools/analysis/track_gt_poses.py --post-process configs/_base_/trackers/interpolation.py`.
post_processors = [
    dict(type='TrackletInterpolation', min_num_frames=5, max_num_frames=20,
         min_keypoint_score=0.0)
]

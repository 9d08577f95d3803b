# Paper Table 2 row: tracking by keypoint correspondences (the CorrespondenceTracker of
# track_posetrack18.py); ground-truth person boxes (with detector=None, tools/test.py gives each
# frame's annotated boxes to the pose estimator). All Table 2 configs share the pose estimator,
# the pose NMS and the output threshold and run without recovery, so only the association differs
# (our choice for the comparison).
_base_ = ['./track_posetrack18.py']
tracking_pipeline = dict(
    detector=None,
    recovery=None)

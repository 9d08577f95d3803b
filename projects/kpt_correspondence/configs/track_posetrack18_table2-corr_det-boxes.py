# Paper Table 2 row: tracking by keypoint correspondences (the CorrespondenceTracker of
# track_posetrack18.py); detected person boxes (Cascade R-CNN, as track_posetrack18.py). All Table
# 2 configs share the pose estimator, the pose NMS and the output threshold and run without
# recovery, so only the association differs (our choice for the comparison).
_base_ = ['./track_posetrack18.py']
tracking_pipeline = dict(
    recovery=None)

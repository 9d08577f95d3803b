# Pose-aware ByteTrack with half OKS, half IoU of the predicted box as similarity
# (PoseByteTracker iou_weight=0.5); everything else is pose_bytetrack.py's.
_base_ = ['./pose_bytetrack.py']
tracker = dict(tracker=dict(iou_weight=0.5))

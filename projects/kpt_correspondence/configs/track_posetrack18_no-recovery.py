# Ablation: no recovery of missed detections.
_base_ = ['./track_posetrack18.py']
tracking_pipeline = dict(recovery=None)

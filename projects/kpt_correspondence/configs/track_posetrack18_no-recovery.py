# Ablation: no recovery of missed detections (tools/analysis/sweep_output_threshold.py runs it
# for the "without recovery" column of Table 3).
_base_ = ['./track_posetrack18.py']
tracking_pipeline = dict(recovery=None)

# As track_synthetic_flowing.py with the ground-truth person boxes instead of the detector
# (the boxes the Flowing ConvNet was trained and tested on; isolates the pose stage and the
# tracker):  python tools/test.py projects/flowing_convnets/configs/track_synthetic_flowing_gt-boxes.py none
_base_ = ['./track_synthetic_flowing.py']
tracking_pipeline = dict(detector=None)

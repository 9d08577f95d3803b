# As track_synthetic.py with the ground-truth person boxes instead of the detector (isolates
# the pose model and the tracker):  python tools/test.py configs/demo/track_synthetic_gt-boxes.py none
_base_ = ['./track_synthetic.py']
tracking_pipeline = dict(detector=None)

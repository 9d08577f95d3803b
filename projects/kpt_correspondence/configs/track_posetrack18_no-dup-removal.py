# Paper Table 7: no duplicate removal in the correspondence tracker.
_base_ = ['./track_posetrack18.py']
tracking_pipeline = dict(tracker=dict(duplicate_removal=None))

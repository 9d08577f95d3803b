# As topdown_oks_tracking.py with the box-IoU tracker.
_base_ = ['./topdown_oks_tracking.py']
tracking_pipeline = dict(tracker=dict(_delete_=True, type='IoUTracker', match_threshold=0.3))

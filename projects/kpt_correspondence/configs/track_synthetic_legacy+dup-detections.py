# The first version with one CorrTrack rule: duplicate detections dropped (issue 16 item 2).
_base_ = ['./track_synthetic_legacy.py']
tracker = dict(duplicate_removal='detections', duplicate_ratio=0.6)

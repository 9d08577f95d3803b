# The first version with one CorrTrack rule: gated score + nomination order (issue 16 item 1).
_base_ = ['./track_synthetic_legacy.py']
tracker = dict(score='gated', assignment='nomination', match_threshold=0.1)

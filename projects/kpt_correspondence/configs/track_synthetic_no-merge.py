# Ablation: no offline track merging (short tracks are still removed).
_base_ = ['./track_synthetic.py']
post_processors = [dict(type='CorrespondenceTrackMerging', merge=False, min_track_length=3)]

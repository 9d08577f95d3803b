# The correspondence tracker with the network trained on the synthetic videos (CPU minutes:
# siamese_ then refine_bninception-tiny_synthetic-192x144.py), with its defaults (the CorrTrack
# rules), followed by the track merging / short-track removal post-processor. Used by
# benchmarks/bench_correspondence_tracking.py (degraded ground-truth poses + frames) to compare
# with the OKS and flow trackers; ablations inherit from it.
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)

correspondence_config = ('projects/kpt_correspondence/configs/'
                         'refine_bninception-tiny_synthetic-192x144.py')
correspondence_checkpoint = 'work_dirs/refine_bninception-tiny_synthetic-192x144/epoch_2.pth'

tracker = dict(
    type='CorrespondenceTracker',
    model=correspondence_config,
    checkpoint=correspondence_checkpoint,
    metainfo='configs/_base_/datasets/posetrack18.py',
    joint_threshold=0.1,
    temporal_distance=3,
    affinity_window=0,
    score='gated',
    assignment='nomination',
    duplicate_removal='detections')
post_processors = [
    dict(type='CorrespondenceTrackMerging', model=correspondence_config,
         checkpoint=correspondence_checkpoint, metainfo='configs/_base_/datasets/posetrack18.py',
         joint_threshold=0.1, oks_threshold=0.5, max_gap=10, min_track_length=3)
]

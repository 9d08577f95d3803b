# The correspondence tracker with the network trained on the synthetic videos (CPU minutes:
# siamese_ then refine_bninception-tiny_synthetic-192x144.py). Used by
# benchmarks/bench_correspondence_tracking.py to compare with the OKS and flow trackers on the
# synthetic val videos (degraded ground-truth poses + frames); ablations inherit from it.
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)

correspondence_config = ('projects/kpt_correspondence/configs/'
                         'refine_bninception-tiny_synthetic-192x144.py')
correspondence_checkpoint = 'work_dirs/refine_bninception-tiny_synthetic-192x144/epoch_2.pth'

tracker = dict(
    type='CorrespondenceTracker',
    model=correspondence_config,
    checkpoint=correspondence_checkpoint,
    metainfo='configs/_base_/datasets/posetrack18.py',
    joint_threshold=0.4,
    match_threshold=0.04,  # chosen on 3 synthetic train videos (the ablations: their own)
    temporal_distance=3,
    affinity_window=0,
    duplicate_removal=True,
    duplicate_oks=0.8,
    merge=dict(oks_threshold=0.5, max_gap=10))

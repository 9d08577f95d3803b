# Pose tracking with a Flowing ConvNet as the pose stage, on the synthetic videos: the demo's
# tracking config (configs/demo/track_synthetic.py: the demo's tiny detector, OKS-NMS, IoU
# tracker) with its single-frame pose model replaced by the fine-tuned Flowing ConvNet of
# flowing-convnet-ft_res18-half_synthetic-128x96.py (frames t-1, t, t+1 through the same box,
# neighbours' heatmaps warped by DIS flow, learned pooling).
#
# The pose stage is ClipPoseEstimator: it holds the frames t-1..t+1 (no more), and frame t is
# finished (pose NMS, tracking, output) when frame t+1 has arrived: one frame of latency; the
# last frame of a video is finished at its end with t+1 clipped to it, exactly as the test
# dataset builds its clips. Evaluate on the held-out videos (PoseTrack mAP and MOTA):
#   python tools/train.py projects/flowing_convnets/configs/flowing-convnet-ft_res18-half_synthetic-128x96.py
#   python tools/test.py projects/flowing_convnets/configs/track_synthetic_flowing.py none
#   python tools/track.py data/synthetic/images/val/<video> \
#       --pipeline projects/flowing_convnets/configs/track_synthetic_flowing.py --out out/
# (`make demo` writes the detector checkpoint work_dirs/demo/detector.pth.) The thresholds are
# the demo's, not tuned for this pose model.
_base_ = ['../../../configs/demo/track_synthetic.py']

tracking_pipeline = dict(
    pose_estimator=dict(
        _delete_=True,
        type='ClipPoseEstimator',
        config='projects/flowing_convnets/configs/flowing-convnet-ft_res18-half_synthetic-128x96.py',
        checkpoint='work_dirs/flowing-convnet-ft_res18-half_synthetic-128x96/epoch_3.pth',
        # the config's test clips: (-1, 1), i.e. one frame of look-ahead; past-only offsets
        # such as (-2, -1) (with model.num_frames=3 in cfg_options) give zero latency
        neighbour_offsets=None))

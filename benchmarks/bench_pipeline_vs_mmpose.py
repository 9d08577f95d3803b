"""PoseTrackingPipeline vs MMPose's own demo loop: same frames, same models, one process.

    python benchmarks/bench_pipeline_vs_mmpose.py [--frames 24] [--persons 1 20] [--repeats 3]
        [--det-checkpoint work_dirs/demo/detector.pth] [--pose-checkpoint work_dirs/demo/pose.pth]
        [--exact] [--threads 1]

Both sides read the same JPEG frames from disk and run the same two models (the demo's
RTMDet-tiny detector and ResNet-18 pose model, ``configs/demo/``; random weights unless
checkpoints are given):

- **MMPose's loop** (``demo/topdown_demo_with_mmdet.py`` of mmpose 1.x, without drawing):
  decode the frame, ``inference_detector`` -> person filter (label, score, ``nms``, at most
  ``--persons`` boxes) -> ``inference_topdown`` -> ``merge_data_samples``.
- **PoseTrackingPipeline.step** (this project): frames decoded ahead in a bounded background
  thread (``plugins.apis.prefetch``), the detector stage (same filter: label, score, at most
  ``--persons`` boxes, most confident first), the batched top-down pose stage
  (``MMPoseTopdownEstimator``: all crops of a frame in one operation, batch norms folded into
  the convolutions, channels-last weights), and the IoU tracker, which the MMPose loop does
  not do at all.

The two loops alternate ``--repeats`` times over the same frames (so load changes on a shared
machine hit both alike); the best repeat of each is reported, in wall-clock and in process
CPU time (all threads), per frame, with the stage breakdown. ``--persons`` sets how many boxes
per frame go to the pose stage: the detector's test threshold is set to 0, so that it always
proposes enough boxes, and both sides keep the most confident ``--persons`` of them.

Poses are then compared **on identical boxes**: for every frame, the pipeline's pose stage runs
on the boxes the MMPose loop used, and the largest keypoint difference (pixels) and score
difference to ``inference_topdown`` are printed, with the number of joints that moved by more
than 0.5 px (a joint can only move when two heatmap values tie to float precision: the fused,
channels-last model computes the same function with other rounding). ``--exact`` also times the
pose stage with both rewrites off (bit-identical poses: difference 0).

Random weights: the detector's box-regression bias is set to +1 (random regressions are
otherwise often negative distances, i.e. empty boxes), so that random boxes have a size.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

DET_CFG = osp.join(ROOT, 'configs/demo/rtmdet-tiny_synthetic-person-192x144.py')
POSE_CFG = osp.join(ROOT, 'configs/demo/td-hm_res18-tiny_synthetic-128x96.py')


def make_frames(folder: str, frames: int) -> str:
    """Synthetic multi-person frames (the project's generator) as JPEG files; their folder."""
    subprocess.run([sys.executable, osp.join(ROOT, 'tools/dataset_converters/make_synthetic.py'),
                    '--out', folder, '--videos', '1', '--val-videos', '0', '--frames',
                    str(frames), '--workers', '1'], check=True, stdout=subprocess.DEVNULL)
    videos = osp.join(folder, 'images', 'train')
    return osp.join(videos, sorted(os.listdir(videos))[0])


def random_checkpoints(folder: str):
    """Random-weight checkpoints of both demo models (so that both sides load the same)."""
    import torch
    from mmdet.apis import init_detector
    from mmpose.apis import init_model

    from plugins.apis.model_config import load_model_config
    torch.manual_seed(0)
    det = init_detector(load_model_config(DET_CFG), None, palette='random', device='cpu')
    with torch.no_grad():
        for name, p in det.named_parameters():
            if 'rtm_reg' in name and name.endswith('bias'):
                p.fill_(1.0)  # non-empty random boxes (see the module docstring)
    pose = init_model(load_model_config(POSE_CFG), None, device='cpu')
    paths = osp.join(folder, 'det.pth'), osp.join(folder, 'pose.pth')
    torch.save(dict(state_dict=det.state_dict()), paths[0])
    torch.save(dict(state_dict=pose.state_dict()), paths[1])
    return paths


class Clock:
    """Wall-clock and process CPU seconds accumulated per named stage."""

    def __init__(self):
        self.wall = defaultdict(float)
        self.cpu = defaultdict(float)

    def add(self, name, t0, t1):
        self.wall[name] += t1[0] - t0[0]
        self.cpu[name] += t1[1] - t0[1]


def now():
    return time.perf_counter(), time.process_time()


class MMPoseLoop:
    """mmpose's demo loop (topdown_demo_with_mmdet.py ``process_one_image``, no drawing)."""

    def __init__(self, det_ckpt, pose_ckpt, persons, nms_thr):
        from mmdet.apis import init_detector
        from mmpose.apis import init_model
        from mmpose.utils import adapt_mmdet_pipeline

        from plugins.apis.model_config import load_model_config
        det_cfg = load_model_config(DET_CFG)
        det_cfg.model.test_cfg.score_thr = 0.0
        self.detector = init_detector(det_cfg, det_ckpt, palette='random', device='cpu')
        self.detector.cfg = adapt_mmdet_pipeline(self.detector.cfg)
        self.pose = init_model(load_model_config(POSE_CFG), pose_ckpt, device='cpu')
        self.persons, self.nms_thr = persons, nms_thr

    def run(self, paths, record=None):
        import mmcv
        from mmdet.apis import inference_detector
        from mmpose.apis import inference_topdown
        from mmpose.evaluation.functional import nms
        from mmpose.structures import merge_data_samples
        clock = Clock()
        start = now()
        for path in paths:
            t0 = now()
            img = mmcv.imread(path)
            t1 = now()
            det_result = inference_detector(self.detector, img)
            pred = det_result.pred_instances.cpu().numpy()
            bboxes = np.concatenate((pred.bboxes, pred.scores[:, None]), axis=1)
            bboxes = bboxes[np.logical_and(pred.labels == 0, pred.scores > 0.0)]
            bboxes = bboxes[nms(bboxes, self.nms_thr), :4][:self.persons]
            t2 = now()
            pose_results = inference_topdown(self.pose, img, bboxes)
            merged = merge_data_samples(pose_results)
            t3 = now()
            clock.add('decode', t0, t1)
            clock.add('detector + filter', t1, t2)
            clock.add('pose (inference_topdown)', t2, t3)
            if record is not None:
                record.append((bboxes.copy(), merged.pred_instances.keypoints.copy(),
                               merged.pred_instances.keypoint_scores.copy()))
        clock.add('total', start, now())
        return clock


class PipelineLoop:
    """PoseTrackingPipeline.step on frames prefetched in a background thread."""

    def __init__(self, det_ckpt, pose_ckpt, persons, pose_options=None):
        from plugins.registry import PIPELINES
        self.pipe = PIPELINES.build(dict(
            type='PoseTrackingPipeline', _scope_='plugins',
            detector=dict(config=DET_CFG, checkpoint=det_ckpt, score_thr=0.0,
                          max_persons=persons, min_box_size=0.0,
                          cfg_options=dict(model=dict(test_cfg=dict(score_thr=0.0)))),
            pose_estimator=dict(config=POSE_CFG, checkpoint=pose_ckpt, **(pose_options or {})),
            tracker=dict(type='IoUTracker'), keypoint_score_thr=None))

    def run(self, folder, limit=None):
        from plugins.apis import open_frame_reader
        from plugins.apis.prefetch import Prefetcher
        pipe = self.pipe
        pipe.reset()
        pipe.timings.clear()
        clock = Clock()
        start = now()
        with Prefetcher(open_frame_reader(folder), depth=4, close_source=True) as frames:
            t0 = now()
            for i, frame in enumerate(frames):
                t1 = now()
                clock.add('decode (waiting for the prefetch thread)', t0, t1)
                pipe.step(frame.image)
                t0 = now()
                if limit is not None and i + 1 >= limit:
                    break
        clock.add('total', start, now())
        for name, key in (('detector stage', 'detector'), ('pose stage (batched)',
                                                           'pose_estimator'),
                          ('tracking + checks', 'overhead')):
            clock.wall[name] = pipe.timings[key]
            clock.cpu[name] = pipe.timings['cpu_' + key]
        return clock


def best(clocks):
    return min(clocks, key=lambda c: c.wall['total'])


def show(name, clock, frames):
    print(f'  {name}')
    for stage in clock.wall:
        if stage == 'total':
            continue
        print(f'    {stage:44s} {clock.wall[stage] / frames * 1e3:9.2f} '
              f'{clock.cpu[stage] / frames * 1e3:9.2f}')
    print(f'    {"end to end":44s} {clock.wall["total"] / frames * 1e3:9.2f} '
          f'{clock.cpu["total"] / frames * 1e3:9.2f}')


def compare_poses(stage, paths, record):
    """Largest differences of the pipeline's pose stage to inference_topdown, same boxes."""
    import mmcv
    kpt_diff, score_diff, moved, joints = 0.0, 0.0, 0, 0
    for path, (boxes, ref_k, ref_s) in zip(paths, record):
        if len(boxes) == 0:
            continue
        out = stage(mmcv.imread(path), boxes.astype(np.float32))
        d = np.abs(out.keypoints - ref_k).max(-1)
        kpt_diff = max(kpt_diff, float(d.max()))
        score_diff = max(score_diff, float(np.abs(out.keypoint_scores - ref_s).max()))
        moved += int((d > 0.5).sum())
        joints += d.size
    return kpt_diff, score_diff, moved, joints


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--frames', type=int, default=24)
    p.add_argument('--persons', type=int, nargs='+', default=[1, 20])
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--det-checkpoint')
    p.add_argument('--pose-checkpoint')
    p.add_argument('--nms-thr', type=float, default=1.0,
                   help='the demo loop\'s extra box NMS (1.0 keeps --persons boxes)')
    p.add_argument('--exact', action='store_true',
                   help='also time the pose stage without the inference rewrites')
    p.add_argument('--threads', type=int, default=1, help='torch intra-op threads')
    args = p.parse_args(argv)

    import torch

    import plugins  # noqa: F401
    torch.set_num_threads(args.threads)
    tmp = tempfile.mkdtemp(prefix='bench_pipeline_vs_mmpose_')
    folder = make_frames(osp.join(tmp, 'data'), args.frames)
    paths = sorted(osp.join(folder, f) for f in os.listdir(folder))
    det_ckpt, pose_ckpt = args.det_checkpoint, args.pose_checkpoint
    weights = 'given checkpoints'
    if det_ckpt is None or pose_ckpt is None:
        rnd = random_checkpoints(tmp)
        det_ckpt, pose_ckpt = det_ckpt or rnd[0], pose_ckpt or rnd[1]
        weights = 'random weights' if args.det_checkpoint is None and \
            args.pose_checkpoint is None else 'partly random weights'
    print(f'{len(paths)} frames 384x288 (synthetic JPEGs), demo models ({weights}), '
          f'{args.threads} torch thread(s), best of {args.repeats} alternating repeats')
    summary = []
    for persons in args.persons:
        mmpose_loop = MMPoseLoop(det_ckpt, pose_ckpt, persons, args.nms_thr)
        ours = {'pipeline': PipelineLoop(det_ckpt, pose_ckpt, persons)}
        if args.exact:
            ours['pipeline, exact pose stage'] = PipelineLoop(
                det_ckpt, pose_ckpt, persons,
                dict(channels_last=False, fuse_conv_bn=False, merge_flip=False))
        mmpose_loop.run(paths[:3])  # warm-up
        for loop in ours.values():
            loop.run(folder, limit=3)
        record = []
        theirs, mine = [], defaultdict(list)
        for r in range(args.repeats):
            theirs.append(mmpose_loop.run(paths, record if r == 0 else None))
            for name, loop in ours.items():
                mine[name].append(loop.run(folder))
        n = len(paths)
        boxes_per_frame = np.mean([len(b) for b, _, _ in record])
        print(f'\n== {persons} person(s) per frame requested, {boxes_per_frame:.1f} boxes per '
              'frame went to the pose stage')
        print(f'  {"ms per frame":46s} {"wall":>9s} {"CPU":>9s}')
        ref = best(theirs)
        show("MMPose's demo loop", ref, n)
        for name, clocks in mine.items():
            show(f'PoseTrackingPipeline ({name})', best(clocks), n)
        for name, clocks in mine.items():
            c = best(clocks)
            ratio_wall = ref.wall['total'] / c.wall['total']
            ratio_cpu = ref.cpu['total'] / c.cpu['total']
            stage = ours[name].pipe.pose_estimator
            kd, sd, moved, joints = compare_poses(stage, paths, record)
            print(f'  {name}: {ratio_wall:.2f}x faster end to end (wall), {ratio_cpu:.2f}x '
                  f'(CPU); on identical boxes: max |keypoint diff| {kd:.4f} px, max |score '
                  f'diff| {sd:.2e}, {moved} of {joints} joints moved > 0.5 px')
            summary.append((persons, name, ratio_wall, ratio_cpu, kd, moved, joints))
    print('\nsummary: persons, variant, speed-up wall, speed-up CPU, max keypoint diff px, '
          'joints moved > 0.5 px')
    for persons, name, rw, rc, kd, moved, joints in summary:
        print(f'  {persons:3d}  {name:30s} {rw:5.2f}x {rc:5.2f}x  {kd:.4f}  {moved}/{joints}')


if __name__ == '__main__':
    main()

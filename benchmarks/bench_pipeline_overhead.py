"""Per-frame overhead of PoseTrackingPipeline outside the models, at 20 persons per frame.

    python benchmarks/bench_pipeline_overhead.py [--frames 30] [--persons 20] [--real-arch]

Runs the pipeline on a stream of frames in which the detector stage runs the real detector
model but reports 20 scripted, smoothly moving person boxes (so that pose estimation, OKS-NMS
and the OKS tracker always see 20 persons). The pipeline's own timers split every frame into
model time (detector stage: preprocessing + forward + box selection; pose stage: mmpose's test
pipeline on 20 crops + one batched forward) and overhead (NaN/inf checks, OKS-NMS, tracking,
bookkeeping). Prints per-frame milliseconds (wall and process CPU time) and the overhead ratio.

Models: the demo's tiny detector + tiny pose model (random weights; the worst case for the
ratio, as their forward passes are the cheapest), and with ``--real-arch`` also the
architectures of the documented real pipeline (Faster R-CNN R101-FPN + HRNet-W32 256x192,
random weights: no download).
"""
import argparse
import os.path as osp
import sys
import time

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import plugins  # noqa: F401,E402
from plugins.registry import PIPELINES  # noqa: E402


@PIPELINES.register_module()
class ScriptedBoxesDetector:
    """Runs a real detector stage, then reports scripted moving boxes instead of its own."""

    def __init__(self, detector: dict, persons: int = 20, seed: int = 0, device: str = 'cpu'):
        detector = dict(detector)
        detector.setdefault('type', 'MMDetPersonDetector')
        detector.setdefault('device', device)
        detector.setdefault('_scope_', PIPELINES.scope)
        self.detector = PIPELINES.build(detector)
        self.bbox_extension = 1.0
        rng = np.random.default_rng(seed)
        self.start = np.stack([rng.uniform(0, 330, persons), rng.uniform(0, 150, persons)], 1)
        self.velocity = rng.normal(0, 2, (persons, 2))
        self.size = np.stack([rng.uniform(30, 50, persons), rng.uniform(90, 130, persons)], 1)
        self.t = 0

    def __call__(self, frame):
        self.detector(frame)  # the model's work is done and timed; its boxes are ignored
        xy = self.start + self.velocity * self.t
        self.t += 1
        boxes = np.concatenate([xy, xy + self.size], 1).astype(np.float32)
        return boxes, np.linspace(0.99, 0.6, len(boxes)).astype(np.float32)


def run(name: str, det_cfg: dict, pose_cfg: dict, frames: int, persons: int) -> float:
    pipe = PIPELINES.build(dict(
        type='PoseTrackingPipeline', _scope_='plugins',
        detector=dict(type='ScriptedBoxesDetector', detector=det_cfg, persons=persons),
        pose_estimator=pose_cfg, pose_nms=dict(type='OKSNMS'),
        tracker=dict(type='OKSTracker'), keypoint_score_thr=None))
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (288, 384, 3), dtype=np.uint8)
    for _ in range(3):  # warm-up
        pipe.step(image)
    pipe.reset()
    pipe.timings.clear()
    t_wall, t_cpu = time.perf_counter(), time.process_time()
    n_persons = 0
    for _ in range(frames):
        n_persons += len(pipe.step(image))
    wall = (time.perf_counter() - t_wall) / frames * 1e3
    cpu = (time.process_time() - t_cpu) / frames * 1e3
    tm = {k: v / frames * 1e3 for k, v in pipe.timings.items() if k != 'frames'}
    print(f'\n== {name}: {frames} frames, {n_persons / frames:.1f} tracked persons per frame')
    print(f'   {"ms per frame":22s} {"wall":>9s} {"process CPU":>12s}')
    rows = (('detector stage', 'detector'), (f'pose stage ({persons} crops)', 'pose_estimator'),
            ('overhead', 'overhead'))
    for label, key in rows:
        print(f'   {label:22s} {tm[key]:9.2f} {tm["cpu_" + key]:12.2f}')
    print(f'   {"step() total":22s} {wall:9.2f} {cpu:12.2f}')
    ratios = []
    for kind in ('', 'cpu_'):
        ratios.append(tm[kind + 'overhead'] / (tm[kind + 'detector'] + tm[kind + 'pose_estimator']))
    print(f'   overhead / model time = {ratios[0] * 100:.2f} % (wall), {ratios[1] * 100:.2f} % '
          '(CPU)  (target < 10 %; overhead = NaN/inf checks, OKS-NMS, OKS tracker, bookkeeping)')
    return max(ratios)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--frames', type=int, default=30)
    p.add_argument('--persons', type=int, default=20)
    p.add_argument('--real-arch', action='store_true',
                   help='also Faster R-CNN R101 + HRNet-W32 (random weights, slow on CPU)')
    args = p.parse_args(argv)
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    ratios = [run('demo tiny models (RTMDet 1/4 width 192x144 + ResNet-18/4 128x96)',
                  dict(config=osp.join(root, 'configs/demo/rtmdet-tiny_synthetic-person-192x144.py'),
                       checkpoint=None),
                  dict(config=osp.join(root, 'configs/demo/td-hm_res18-tiny_synthetic-128x96.py'),
                       checkpoint=None), args.frames, args.persons)]
    if args.real_arch:
        ratios.append(run(
            'real architectures (Faster R-CNN R101-FPN + HRNet-W32 256x192, random weights)',
            dict(config='mmdet::faster_rcnn/faster-rcnn_r101_fpn_1x_coco.py', checkpoint=None),
            dict(config='mmpose::body_2d_keypoint/topdown_heatmap/posetrack18/'
                 'td-hm_hrnet-w32_8xb64-20e_posetrack18-256x192.py', checkpoint=None),
            max(3, args.frames // 10), args.persons))
    worst = max(ratios)
    print(f'\nworst overhead ratio: {worst * 100:.2f} % -> '
          f'{"OK" if worst < 0.10 else "ABOVE the 10 % target"}')


if __name__ == '__main__':
    main()

"""Soak test: track a 20,000-frame synthetic stream with every tracker through the video
runner and its JSON sink; print resident memory and per-frame write time at 2k / 10k / 20k
frames. Memory and write time must stay flat (bounded state: trackers prune ended tracks, the
runner keeps no frames, the JSON writer appends in O(1)).

The stream: small frames (64x48 BGR, a moving texture so that optical flow and colour
histograms have something to see) and scripted detections: ``--persons`` people at a time,
each walking for ~200 frames, then replaced by a new one (so ~``frames / 200 * persons``
tracks start and end). The pose stage is a stand-in that spreads 17 joints over each box (no
model weights), so the numbers are the tracking path's own.

    python benchmarks/bench_soak.py [--frames 20000] [--trackers IoUTracker OKSTracker ...]
                                    [--out /tmp/soak]

``CorrespondenceTracker`` (with track merging) needs the correspondence network; it runs with
``--trackers CorrespondenceTracker`` and the tiny synthetic config (random weights: it starts a
track for almost every detection, the worst case for the merging post-processor's state).
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import numpy as np
from mmengine.structures import InstanceData

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import plugins  # noqa: E402,F401
from plugins.apis import PoseTrackingPipeline  # noqa: E402
from plugins.apis.video_runner import (PoseTrackJsonSink, VideoInfo,  # noqa: E402
                                       VideoRunner)
from plugins.registry import POSE_STAGES  # noqa: E402

K = 17
H, W = 48, 64
CHECKPOINTS = (2000, 10000, 20000)
TRACKERS = {
    'IoUTracker': dict(type='IoUTracker'),
    'OKSTracker': dict(type='OKSTracker'),
    'FlowTracker': dict(type='FlowTracker', max_age=5),
    'ReIDTracker': dict(type='ReIDTracker', geometry='iou', geometry_weight=0.5, max_age=30),
    # failure checker: a scripted region classifier (is a person's box under the region?)
    'RegionUpdateTracker': dict(type='RegionUpdateTracker', max_age=3, detect_every=1),
    # one shared (random-weight) network for the tracker and the merging post-processor
    'CorrespondenceTracker': dict(type='CorrespondenceTracker', model=dict(shared='corr_net')),
}
#: per tracker: the pipeline's shared models and post-processors (track merging)
EXTRAS = {
    'CorrespondenceTracker': dict(
        models=dict(corr_net=dict(
            type='CorrespondenceModel',
            model='projects/kpt_correspondence/configs/'
                  'siamese_bninception-tiny_synthetic-192x144.py')),
        post_processors=[dict(type='CorrespondenceTrackMerging', model=dict(shared='corr_net'),
                              max_gap=30, min_track_length=3)]),
}


@POSE_STAGES.register_module(force=True)
class SpreadPoses:
    """Stand-in pose stage: 17 joints spread over each box, scores 0.9."""

    dataset_meta = dict(num_keypoints=K, sigmas=np.full(K, 0.08),
                        keypoint_id2name={i: f'joint{i}' for i in range(K)},
                        skeleton_links=[(i, i + 1) for i in range(K - 1)])

    def __call__(self, frame, bboxes, bbox_scores=None, crop_bboxes=None):
        b = np.asarray(bboxes, np.float32).reshape(-1, 4)
        t = np.linspace(0, 1, K, dtype=np.float32)[None, :, None]
        kpts = b[:, None, :2] + t * (b[:, None, 2:] - b[:, None, :2])
        return InstanceData(keypoints=kpts, keypoint_scores=np.full((len(b), K), 0.9,
                                                                    np.float32),
                            bboxes=b, bbox_scores=np.ones(len(b), np.float32))


class ScriptedStream:
    """Frames and boxes of ``persons`` walkers, each replaced after its lifetime."""

    def __init__(self, frames: int, persons: int, seed: int = 0) -> None:
        self.frames, self.persons = frames, persons
        self.rng = np.random.default_rng(seed)
        self.texture = self.rng.integers(0, 255, (H, 2 * W, 3), dtype=np.uint8)

    def _new(self):
        size = self.rng.uniform([8, 16], [14, 28])
        pos = self.rng.uniform([0, 0], [W - size[0], H - size[1]])
        vel = self.rng.uniform(-0.3, 0.3, 2)
        life = int(self.rng.integers(150, 250))
        return [pos, vel, size, life]

    def __iter__(self):
        people = [self._new() for _ in range(self.persons)]
        for t in range(self.frames):
            shift = t % W
            image = np.ascontiguousarray(self.texture[:, shift:shift + W])
            boxes = []
            for i, p in enumerate(people):
                p[0] = np.clip(p[0] + p[1], 0, [W - p[2][0], H - p[2][1]])
                p[3] -= 1
                if p[3] <= 0:
                    people[i] = p = self._new()
                boxes.append(np.r_[p[0], p[0] + p[2]])
            yield image, np.asarray(boxes, np.float32)


class ScriptedScorer:
    """Stand-in region classifier: 1 where the region overlaps a current person box (IoU >=
    0.3), else 0. ``boxes`` is set to the frame's boxes before each frame."""

    def __init__(self) -> None:
        self.boxes = np.zeros((0, 4), np.float32)

    def __call__(self, frame, regions):
        from plugins.utils.keypoint_similarity import pairwise_box_iou
        iou = pairwise_box_iou(regions, self.boxes)
        return (iou >= 0.3).any(axis=1).astype(np.float32) if iou.size else np.zeros(
            len(regions), np.float32)


class TimedJsonSink(PoseTrackJsonSink):
    """The JSON sink, timing each frame's write."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.times: List[float] = []

    def write(self, index, image, result, info) -> None:
        t0 = time.perf_counter()
        super().write(index, image, result, info)
        self.times.append(time.perf_counter() - t0)


def rss_mb() -> float:
    """Resident set size of this process (MB), from /proc."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return float('nan')


def soak(name: str, frames: int, persons: int, out_dir: str) -> Dict[int, tuple]:
    tracker = dict(TRACKERS[name])
    scorer = ScriptedScorer()
    if name == 'RegionUpdateTracker':
        tracker['failure_scorer'] = scorer
    pipe = PoseTrackingPipeline(pose_estimator=dict(type='SpreadPoses'), tracker=tracker,
                                pose_nms=None, **EXTRAS.get(name, {}))
    sink = TimedJsonSink(out_dir, flush_every=1)
    marks: Dict[int, tuple] = {}
    t_start = time.perf_counter()

    class Probe:
        def open(self, video):
            pass

        def write(self, index, image, result, info):
            n = index + 1
            if n in checkpoints:
                window = sink.times[-500:]
                mergers = [p.merger for p in pipe.post_processors if hasattr(p, 'merger')]
                marks[n] = (rss_mb(), 1e3 * float(np.median(window)),
                            1e3 * float(np.mean(sink.times)),
                            len(getattr(pipe.tracker, 'tracks', [])),
                            time.perf_counter() - t_start,
                            sum(len(m.tracks) for m in mergers),
                            sum(len(m.kept_frames) for m in mergers))

        def close(self, edits):
            pass

    checkpoints = {c for c in CHECKPOINTS if c <= frames} | {frames}
    stream = ScriptedStream(frames, persons)
    frames_iter = (img for img, _ in stream)
    boxes_stream = ScriptedStream(frames, persons)
    def boxes():
        for _, b in boxes_stream:
            scorer.boxes = b
            yield b

    VideoRunner(pipe, [sink, Probe()]).run(
        frames_iter, bboxes=boxes(),
        video=VideoInfo(name=f'soak_{name}', num_frames=frames,  # a video of known length
                        dataset_meta=SpreadPoses.dataset_meta))
    marks['tracks_started'] = pipe.tracker.num_started
    marks['json_mb'] = os.path.getsize(sink.path) / 2**20
    return marks


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=20000)
    parser.add_argument('--persons', type=int, default=5)
    parser.add_argument('--trackers', nargs='+', default=[t for t in TRACKERS
                                                          if t != 'CorrespondenceTracker'])
    parser.add_argument('--out', default=None, help='folder of the JSON files (temp dir)')
    args = parser.parse_args(argv)
    out = args.out or tempfile.mkdtemp(prefix='soak_')
    print(f'{args.frames} frames, {args.persons} persons at a time, {W}x{H} frames, '
          f'JSON in {out}')
    print(f'{"tracker":<22} {"frame":>6} {"RSS MB":>8} {"write ms":>9} {"mean so far":>11} '
          f'{"live tracks":>11} {"elapsed s":>9} {"merger":>9}')
    print('(write ms: median of the last 500 frames\' JSON writes; mean so far: all writes; '
          'merger: undecided tracks / frames whose features it keeps)')
    for name in args.trackers:
        marks = soak(name, args.frames, args.persons, out)
        for n in sorted(k for k in marks if isinstance(k, int)):
            rss, write_ms, mean_ms, live, elapsed, undecided, kept = marks[n]
            merger = f'{undecided}/{kept}' if name in EXTRAS else '-'
            print(f'{name:<22} {n:>6} {rss:>8.1f} {write_ms:>9.3f} {mean_ms:>11.3f} {live:>11} '
                  f'{elapsed:>9.1f} {merger:>9}')
        print(f'{name:<22} tracks started: {marks["tracks_started"]}, '
              f'JSON {marks["json_mb"]:.1f} MB')
        sys.stdout.flush()


if __name__ == '__main__':
    main()

"""Per-frame cost of ``PoseTrackJsonWriter`` as a video grows (it must stay flat).

    python benchmarks/bench_json_writer.py [--frames 20000] [--persons 10] [--window 200]

Writes one synthetic video of ``--frames`` frames with ``--persons`` tracked persons (17
joints) per frame, the file valid JSON after every frame (``flush_every=1``, as
``tools/track.py``), and prints the mean / max ``add_frame`` time over the ``--window`` frames
before 500, 1,000, 2,000 and 20,000 frames (those within ``--frames``). No room is reserved
up front (``reserve_frames=0``), so the doubling rewrites are inside the measurement (their
cost shows in the max column and is spread over the frames that follow them). Then times
:func:`apply_track_edits` (a remap of every id) on the finished file and checks the result.
"""
import argparse
import os
import os.path as osp
import sys
import tempfile
import time
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from plugins.datasets.posetrack_json import (FrameAnnotation, PoseTrackJsonWriter,  # noqa
                                             apply_track_edits, load_posetrack_video)


def make_frame(i: int, persons: int, rng: np.random.Generator) -> FrameAnnotation:
    kp = rng.uniform(0, 1000, (persons, 17, 2)).astype(np.float32)
    return FrameAnnotation(
        image_id=i, file_name=f'video/{i:06d}.jpg', frame_index=i, is_labeled=True,
        keypoints=kp, keypoint_scores=rng.uniform(0, 1, (persons, 17)).astype(np.float32),
        track_ids=np.arange(persons, dtype=np.int64),
        bboxes=np.concatenate([kp.min(1), kp.max(1)], 1),
        head_bboxes=np.full((persons, 4), np.nan, np.float32),
        bbox_scores=np.ones(persons, np.float32), width=1920, height=1080)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=20000)
    parser.add_argument('--persons', type=int, default=10)
    parser.add_argument('--window', type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    pool = [make_frame(0, args.persons, rng) for _ in range(16)]
    checkpoints = [c for c in (500, 1000, 2000, 20000) if c <= args.frames]
    times = np.zeros(args.frames)
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'video.json')
        with PoseTrackJsonWriter(path, is_prediction=True) as writer:
            for i in range(args.frames):
                f = pool[i % len(pool)]
                frame = FrameAnnotation(**{**f.__dict__, 'image_id': i, 'frame_index': i,
                                           'file_name': f'video/{i:06d}.jpg'})
                t0 = time.perf_counter()
                writer.add_frame(frame)
                times[i] = time.perf_counter() - t0
        size = os.path.getsize(path)
        print(f'PoseTrackJsonWriter, {args.persons} persons/frame, flush_every=1 '
              f'(file valid after every frame), final file {size / 1e6:.1f} MB')
        print(f'{"frames":>8} | {"mean ms/frame":>13} | {"max ms":>8}   (last {args.window} '
              'frames before the mark)')
        for c in checkpoints:
            w = times[max(0, c - args.window):c]
            print(f'{c:8d} | {1e3 * w.mean():13.3f} | {1e3 * w.max():8.2f}')
        print(f'all {args.frames} frames: mean {1e3 * times.mean():.3f} ms/frame (doubling '
              'rewrites included)')
        edits = SimpleNamespace(id_map={t: t + 1000 for t in range(args.persons)},
                                dropped={1000}, inserted={})
        t0 = time.perf_counter()
        apply_track_edits(path, edits)
        dt = time.perf_counter() - t0
        video = load_posetrack_video(path)
        ids = np.unique(np.concatenate([fr.track_ids for fr in video.frames]))
        assert len(video.frames) == args.frames and ids.min() == 1001, ids
        print(f'apply_track_edits (remap all ids, drop one): {dt:.2f} s for {args.frames} '
              f'frames ({1e3 * dt / args.frames:.3f} ms/frame), streaming')


if __name__ == '__main__':
    main()

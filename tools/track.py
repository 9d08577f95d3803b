"""Track the poses of everybody in a video, a folder of frames or a webcam stream.

    python tools/track.py INPUT --pipeline CONFIG --out DIR [--show] [--no-video]
                          [--device cpu|cuda:0] [--fps 25] [--max-frames N]
                          [--cfg-options tracking_pipeline.tracker.type=IoUTracker ...]

INPUT is a video file, a folder of frames (image files in natural name order; other files are
skipped with a warning) or a webcam index such as ``0``. CONFIG defines ``tracking_pipeline``
(see ``configs/_base_/pipelines/``). Writes, per input,

- ``DIR/<name>.json``: PoseTrack18 predictions, rewritten after every frame so the file on disk
  always parses (also when the run stops on a bad frame or Ctrl-C);
- ``DIR/<name>.mp4``: the frames with skeletons coloured by track id (unless ``--no-video``).

A progress bar shows frames per second. Exit status: 0 on success, 1 when the input stopped
being readable (the results up to there are kept), 130 on Ctrl-C.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone too


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Multi-person pose tracking of a video')
    parser.add_argument('input', help='video file, folder of frames, or webcam index')
    parser.add_argument('--pipeline', required=True, help='config with `tracking_pipeline`')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--show', action='store_true', help='display the rendered frames')
    parser.add_argument('--no-video', action='store_true', help='do not write the video')
    parser.add_argument('--device', help='torch device for both models (overrides config)')
    parser.add_argument('--fps', type=float, default=25.0,
                        help='frame rate of a folder of frames (videos report their own)')
    parser.add_argument('--max-frames', type=int, help='stop after this many frames')
    parser.add_argument('--kpt-thr', type=float, default=0.3,
                        help='joints scored below it are not drawn')
    from mmengine.config import DictAction
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. '
                        'tracking_pipeline.detector.score_thr=0.3')
    return parser.parse_args(argv)


def track(input_source: str, pipeline, out_dir: str, write_video: bool = True,
          show: bool = False, fps: float = 25.0, max_frames: Optional[int] = None,
          kpt_thr: float = 0.3) -> Dict[str, object]:
    """Run ``pipeline`` over one input and write its JSON (and video) into ``out_dir``.

    Args:
        input_source: video file, frame folder or webcam index.
        pipeline: a built :class:`PoseTrackingPipeline`.
        out_dir: output folder.
        write_video: write the rendered video.
        show: display the rendered frames in a window.
        fps: frame rate for frame folders.
        max_frames: stop after this many frames.
        kpt_thr: drawing threshold of joints.

    Returns:
        ``dict(json=path, video=path or None, frames=count, persons=count, tracks=count)``.
        Any error of the input is raised after the outputs are closed (they stay valid).
    """
    import cv2
    from tqdm import tqdm

    from plugins.apis import PoseTrackRenderer, VideoWriter, open_frame_reader
    from plugins.apis.posetrack_categories import keypoint_categories
    from plugins.apis.tracked_json import add_tracked_frame, rewrite_tracked_json
    from plugins.datasets.posetrack_json import PoseTrackJsonWriter

    reader = open_frame_reader(input_source, fps=fps)
    os.makedirs(out_dir, exist_ok=True)
    json_path = osp.join(out_dir, f'{reader.name}.json')
    video_path = osp.join(out_dir, f'{reader.name}.mp4') if write_video else None
    renderer = PoseTrackRenderer(pipeline.dataset_meta, kpt_thr=kpt_thr) if (
        write_video or show) else None
    writer = PoseTrackJsonWriter(json_path, is_prediction=True,
                                 categories=keypoint_categories(pipeline.dataset_meta))
    video = VideoWriter(video_path, fps=reader.fps) if write_video else None
    total = len(reader) or None
    if max_frames is not None:
        total = min(total or max_frames, max_frames)
    stats = dict(json=json_path, video=video_path, frames=0, persons=0, tracks=0)
    track_ids = set()
    offline = pipeline.has_offline_stage
    infos, results = [], []
    pipeline.reset()
    bar = tqdm(total=total, unit='frame', desc=reader.name, dynamic_ncols=True)
    try:
        for frame in reader:
            if max_frames is not None and frame.index >= max_frames:
                break
            result = pipeline.step(frame.image)
            h, w = frame.image.shape[:2]
            info = dict(image_id=frame.index, file_name=osp.join(reader.name, frame.name),
                        frame_index=frame.index, width=w, height=h)
            add_tracked_frame(writer, info, result)
            if offline:
                infos.append(info)
                results.append(result)
            if renderer is not None:
                drawn = renderer.render(frame.image, result)
                if video is not None:
                    video.write(drawn)
                if show:
                    cv2.imshow('tools/track.py', drawn)
                    if cv2.waitKey(1) & 0xFF in (27, ord('q')):
                        break
            stats['frames'] += 1
            stats['persons'] += len(result)
            track_ids.update(int(t) for t in result.track_ids)
            bar.set_postfix(persons=len(result), tracks=len(track_ids))
            bar.update(1)
    finally:
        bar.close()
        writer.close()
        if video is not None:
            video.close()
        reader.close()
        if show:
            cv2.destroyAllWindows()
        stats['tracks'] = len(track_ids)
    if offline and results:
        # the tracker's whole-video pass (e.g. track merging; only when the whole input was
        # read): final ids in the JSON, while the rendered video shows the online ids
        results = pipeline.finalize(results)
        rewrite_tracked_json(json_path, infos, results,
                             keypoint_categories(pipeline.dataset_meta))
        stats['tracks'] = len({int(t) for r in results for t in r.track_ids})
    return stats


def main(argv=None) -> Dict[str, object]:
    args = parse_args(argv)
    from plugins.utils.cli import load_config
    cfg = load_config(args.pipeline, args.cfg_options)
    if cfg.get('tracking_pipeline') is None:
        raise KeyError(f'{args.pipeline} has no `tracking_pipeline`')
    from plugins.apis import FrameReadError, FrameSizeError
    from plugins.apis.tracking_test import build_tracking_pipeline
    if args.device:
        cfg.tracking_pipeline.device = args.device
        for stage in ('detector', 'pose_estimator'):
            if cfg.tracking_pipeline.get(stage):
                cfg.tracking_pipeline[stage].device = args.device
    pipeline = build_tracking_pipeline(cfg)
    try:
        stats = track(args.input, pipeline, args.out, write_video=not args.no_video,
                      show=args.show, fps=args.fps, max_frames=args.max_frames,
                      kpt_thr=args.kpt_thr)
    except (FrameReadError, FrameSizeError) as e:
        print(f'error: {e}\n(the outputs in {args.out} hold the frames before it)',
              file=sys.stderr)
        raise SystemExit(1)
    except KeyboardInterrupt:
        print(f'interrupted (the outputs in {args.out} hold the frames so far)',
              file=sys.stderr)
        raise SystemExit(130)
    print(f"{stats['frames']} frames, {stats['persons']} poses, {stats['tracks']} tracks -> "
          f"{stats['json']}" + (f" and {stats['video']}" if stats['video'] else ''))
    return stats


if __name__ == '__main__':
    main()

"""Track the poses of everybody in videos, folders of frames or a webcam stream.

    python tools/track.py INPUT [INPUT ...] --pipeline CONFIG --out DIR [--show] [--no-video]
                          [--device cpu|cuda:0] [--fps 25] [--max-frames N] [--no-resume]
                          [--cfg-options tracking_pipeline.tracker.type=IoUTracker ...]

Each INPUT is a video file, a folder of frames (image files in natural name order; other files
are skipped with a warning), a webcam index such as ``0``, a folder of videos / of frame
folders (every video file and every sub-folder holding images, sorted by name), a glob
(``'data/*.mp4'``, quoted) or a ``.txt`` file listing inputs one per line. CONFIG defines
``tracking_pipeline`` (see ``configs/_base_/pipelines/``). Writes, per input,

- ``DIR/<name>.json``: PoseTrack18 predictions, valid on disk after every frame (also when the
  run stops on a bad frame or Ctrl-C); the post-processors' edits are applied at the end;
- ``DIR/<name>.mp4``: the frames with skeletons coloured by track id (unless ``--no-video``);
- ``DIR/<name>.done``: written once the input is finished. A rerun skips inputs that have it
  (so a killed job resumes where it stopped); ``--no-resume`` redoes them.

Under ``torchrun`` / ``srun`` (env ``RANK`` + ``WORLD_SIZE`` or ``SLURM_PROCID`` +
``SLURM_NTASKS``) process r of W tracks inputs r, r + W, ... of the sorted list: a corpus
spreads over a cluster with no process group. A progress bar shows frames per second. Exit
status: 0 on success, 1 when an input stopped being readable (the results up to there are
kept), 130 on Ctrl-C.
"""
import argparse
import glob
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone too

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.mpg', '.mpeg', '.m4v')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Multi-person pose tracking of videos')
    parser.add_argument('inputs', nargs='+', metavar='input',
                        help='video file, folder of frames, webcam index, folder of videos, '
                        'glob, or .txt list')
    parser.add_argument('--pipeline', required=True, help='config with `tracking_pipeline`')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--show', action='store_true', help='display the rendered frames')
    parser.add_argument('--no-video', action='store_true', help='do not write the video')
    parser.add_argument('--device', help='torch device of every model (overrides config)')
    parser.add_argument('--fps', type=float, default=25.0,
                        help='frame rate of a folder of frames (videos report their own)')
    parser.add_argument('--max-frames', type=int, help='stop after this many frames')
    parser.add_argument('--kpt-thr', type=float, default=0.3,
                        help='joints scored below it are not drawn')
    parser.add_argument('--no-resume', action='store_true',
                        help='also redo inputs whose finished output exists')
    from mmengine.config import DictAction
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. '
                        'tracking_pipeline.detector.score_thr=0.3')
    return parser.parse_args(argv)


def _has_images(folder: str) -> bool:
    from plugins.apis.frame_readers import IMAGE_EXTENSIONS
    return any(name.lower().endswith(tuple(IMAGE_EXTENSIONS)) for name in os.listdir(folder))


def expand_inputs(inputs: List[str]) -> List[str]:
    """The sources named by the command line (see the module docstring), in order, once each.

    Raises:
        FileNotFoundError: a glob matches nothing or a list file names a missing path.
    """
    out: List[str] = []
    for item in inputs:
        item = str(item)
        if any(c in item for c in '*?[') and not osp.exists(item):
            found = sorted(glob.glob(item))
            if not found:
                raise FileNotFoundError(f'{item}: the glob matches nothing')
            out.extend(found)
        elif item.endswith('.txt') and osp.isfile(item):
            base = osp.dirname(osp.abspath(item))
            with open(item) as f:
                lines = [ln.strip() for ln in f if ln.strip() and not ln.startswith('#')]
            for line in lines:
                path = line if osp.isabs(line) or osp.exists(line) else osp.join(base, line)
                if not osp.exists(path):
                    raise FileNotFoundError(f'{item}: lists {line}, which does not exist')
                out.append(path)
        elif osp.isdir(item) and os.listdir(item) and not _has_images(item):
            entries = sorted(os.listdir(item))
            subs = [osp.join(item, e) for e in entries
                    if (osp.isdir(osp.join(item, e)) and _has_images(osp.join(item, e)))
                    or e.lower().endswith(VIDEO_EXTENSIONS)]
            out.extend(subs if subs else [item])
        else:
            out.append(item)
    seen = set()
    return [s for s in out if not (s in seen or seen.add(s))]


def rank_and_world() -> Tuple[int, int]:
    """``(rank, world_size)`` from torchrun's or slurm's environment (``(0, 1)`` alone)."""
    for rank_key, world_key in (('RANK', 'WORLD_SIZE'), ('SLURM_PROCID', 'SLURM_NTASKS')):
        if rank_key in os.environ and world_key in os.environ:
            return int(os.environ[rank_key]), int(os.environ[world_key])
    return 0, 1


def output_name(source: str) -> str:
    """The name of a source's outputs (what its frame reader calls it)."""
    from plugins.apis import FrameReadError, open_frame_reader
    try:
        reader = open_frame_reader(source)
    except FrameReadError:  # reported when it is tracked
        return osp.splitext(osp.basename(osp.normpath(source)))[0]
    try:
        return reader.name
    finally:
        reader.close()


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
    from plugins.apis import open_frame_reader
    from plugins.apis.video_runner import (PoseTrackJsonSink, ProgressSink, RenderSink,
                                           VideoInfo, VideoRunner)

    reader = open_frame_reader(input_source, fps=fps)
    os.makedirs(out_dir, exist_ok=True)
    total = len(reader) or None
    if max_frames is not None:
        total = min(total or max_frames, max_frames)
    json_sink = PoseTrackJsonSink(out_dir, flush_every=1, done_marker=True)
    progress = ProgressSink(total=total, desc=reader.name)
    sinks = [json_sink, progress]
    render = None
    if write_video or show:
        render = RenderSink(out_dir if write_video else None, kpt_thr=kpt_thr, show=show)
        sinks.append(render)
    runner = VideoRunner(pipeline, sinks, max_frames=max_frames)
    info = VideoInfo(name=reader.name, fps=reader.fps, num_frames=total,
                     dataset_meta=dict(pipeline.dataset_meta))
    try:
        stats = runner.run(reader, video=info,
                           stop=(lambda: render.stopped) if show else None)
    finally:
        progress.finish()
        reader.close()
    return dict(json=json_sink.path, video=render.path if render is not None else None,
                frames=stats['frames'], persons=stats['persons'], tracks=stats['tracks'])


def main(argv=None) -> Dict[str, object]:
    args = parse_args(argv)
    from plugins.utils.cli import load_config
    cfg = load_config(args.pipeline, args.cfg_options)
    if cfg.get('tracking_pipeline') is None:
        raise KeyError(f'{args.pipeline} has no `tracking_pipeline`')
    from plugins.apis import FrameReadError, FrameSizeError
    from plugins.apis.tracking_test import build_tracking_pipeline, shard
    from plugins.apis.video_runner import done_path
    sources = expand_inputs(args.inputs)
    rank, world = rank_and_world()
    mine = shard(sources, rank, world)
    todo, skipped = [], []
    for source in mine:
        finished = (not args.no_resume and not source.isdigit() and
                    osp.exists(done_path(osp.join(args.out, output_name(source) + '.json'))))
        (skipped if finished else todo).append(source)
    for source in skipped:
        print(f'{source}: finished output in {args.out}, skipped (--no-resume redoes it)')
    pipeline = build_tracking_pipeline(cfg, device=args.device) if todo else None
    results = []
    for source in todo:
        try:
            stats = track(source, pipeline, args.out, write_video=not args.no_video,
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
        print(f"{stats['frames']} frames, {stats['persons']} poses, {stats['tracks']} tracks "
              f"-> {stats['json']}" + (f" and {stats['video']}" if stats['video'] else ''))
        results.append(stats)
    if len(sources) == 1 and len(results) == 1:
        return results[0]
    return dict(inputs=results, skipped=skipped, rank=rank, world_size=world,
                frames=sum(r['frames'] for r in results),
                persons=sum(r['persons'] for r in results))


if __name__ == '__main__':
    main()

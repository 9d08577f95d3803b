"""`make demo`: synthetic videos -> tiny detector + tiny pose model -> test -> track.

    python tools/run_demo.py [--data data/synthetic] [--work-dir work_dirs/demo]
                             [--train-data data/synthetic_demo_train] [--det-epochs N]
                             [--pose-epochs N] [--threads N] [--skip-train]

Everything runs on the CPU from scratch, with no download:

1. generate the synthetic dataset (``tools/dataset_converters/make_synthetic.py``) unless
   ``--data`` already holds it (its held-out ``val`` videos are what the demo evaluates on), and
   the demo's training set ``--train-data``: 40 short clips of 10 frames (the same number of
   frames as ``make data``'s 10 x 40, but 4x more distinct people and scenes, which is what
   tiny models trained for a few minutes need to generalise: pose AP 38 vs 23);
2. train the tiny person detector (``configs/demo/rtmdet-tiny_synthetic-person-192x144.py``) and the
   tiny top-down pose model (``configs/demo/td-hm_res18-tiny_synthetic-128x96.py``) with
   ``tools/train.py``;
3. ``tools/test.py`` on the held-out videos: detector bbox AP, pose keypoint AP (COCO metric,
   ground-truth boxes), and the full pipeline (``configs/demo/track_synthetic.py``): PoseTrack
   mAP and MOTA -- for the trained models and, as the baseline, for the same models untrained;
4. ``tools/track.py`` on one held-out video: PoseTrack JSON and the rendered video in
   ``WORK_DIR/track/``.

Prints a summary table and writes it to ``WORK_DIR/demo_summary.json``; exits with status 1
when a trained model does not beat its untrained baseline.
"""
import argparse
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import time
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DET_CONFIG = 'configs/demo/rtmdet-tiny_synthetic-person-192x144.py'
POSE_CONFIG = 'configs/demo/td-hm_res18-tiny_synthetic-128x96.py'
TRACK_CONFIG = 'configs/demo/track_synthetic.py'
METRIC_LINE = re.compile(r'([\w/]+(?:_\w+)*): (-?\d+(?:\.\d+)?)')


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description='The embedded end-to-end demo (CPU, no download)')
    p.add_argument('--data', default='data/synthetic', help='synthetic dataset root')
    p.add_argument('--work-dir', default='work_dirs/demo')
    p.add_argument('--train-data', default='data/synthetic_demo_train',
                   help='training set root (generated if missing)')
    p.add_argument('--train-videos', type=int, default=40)
    p.add_argument('--train-frames', type=int, default=10)
    p.add_argument('--det-epochs', type=int, help='override the detector config\'s epochs')
    p.add_argument('--pose-epochs', type=int, help='override the pose config\'s epochs')
    p.add_argument('--threads', type=int,
                   help='torch/OpenMP threads per step (default: torch\'s own choice; 1 is '
                   'faster on a CPU shared with other jobs)')
    p.add_argument('--skip-train', action='store_true',
                   help='reuse WORK_DIR/{detector,pose}.pth from an earlier run')
    return p.parse_args(argv)


class Step:
    """Times the named steps of the demo and prints them."""

    def __init__(self, threads: Optional[int] = None) -> None:
        self.times: Dict[str, float] = {}
        self.t0 = time.perf_counter()
        self.env = dict(os.environ)
        if threads:
            self.env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))

    def run(self, name: str, cmd: List[str], log: Optional[str] = None) -> str:
        """Run ``cmd`` (a tool of this repo), echo its output, return it; raise on failure."""
        print(f'\n[demo] == {name}: {" ".join(cmd)}', flush=True)
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable] + cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1, env=self.env)
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if _worth_echoing(line):
                sys.stdout.write(line)
                sys.stdout.flush()
        proc.wait()
        out = ''.join(lines)
        if log:
            with open(log, 'w') as f:
                f.write(out)
        self.times[name] = time.perf_counter() - t
        if proc.returncode != 0:
            print(out[-4000:])
            raise SystemExit(f'[demo] step "{name}" failed (exit {proc.returncode})')
        print(f'[demo] {name}: {self.times[name]:.0f} s', flush=True)
        return out


def _worth_echoing(line: str) -> bool:
    """Progress and results lines of the tools (the full output goes to the step's log)."""
    if '%|' in line:  # tqdm bars: only their last state
        return line.rstrip().endswith(']') and '100%|' in line
    keys = ('Epoch(train)', 'Epoch(test)', 'make_synthetic', 'Error', 'error', 'poses,',
            'mAP', 'MOTA', 'tracked', 'Saving checkpoint', '| ', 'empty')
    return any(k in line for k in keys)


def test_metrics(output: str, allow_empty: bool = False) -> Dict[str, float]:
    """The metrics of the final ``Epoch(test)`` line of an mmengine test log.

    Args:
        output: the tool's output.
        allow_empty: return ``{}`` instead of failing when the line has no metric.
    """
    lines = [ln for ln in output.splitlines() if 'Epoch(test)' in ln and 'eta:' not in ln]
    metrics = {k: float(v) for k, v in METRIC_LINE.findall(lines[-1] if lines else '')
               if '/' in k and not k.endswith('time')}
    if not metrics and not allow_empty:
        raise SystemExit('[demo] no test metrics found in the output of tools/test.py')
    return metrics


def data_options(data: str, train_data: Optional[str] = None) -> List[str]:
    """``--cfg-options`` pointing a demo config at its dataset roots.

    Args:
        data: root of the held-out ``val`` split (evaluation).
        train_data: root of the ``train`` split (default: ``data``).
    """
    root = data.rstrip('/') + '/'
    train_root = (train_data or data).rstrip('/') + '/'
    return [f'train_dataloader.dataset.data_root={train_root}',
            f'val_dataloader.dataset.data_root={root}',
            f'test_dataloader.dataset.data_root={root}',
            f'val_evaluator.ann_file={root}annotations/val.json',
            f'test_evaluator.ann_file={root}annotations/val.json']


def final_checkpoint(work_dir: str) -> str:
    """The checkpoint named in ``work_dir/last_checkpoint`` (written by mmengine)."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        path = f.read().strip()
    if not osp.isabs(path):
        path = osp.join(ROOT, path)
    return path


def save_untrained_checkpoint(config: str, path: str, seed: int = 0) -> None:
    """Save the weights the model has when training starts (``init_weights``), as baseline."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope

    import plugins  # noqa: F401
    cfg = Config.fromfile(osp.join(ROOT, config))
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    meta = dict(dataset_meta=dict(classes=('person', ))) if 'mmdet' in cfg.default_scope \
        else dict()
    torch.save(dict(state_dict=model.state_dict(), meta=meta), path)


def main(argv=None) -> dict:
    args = parse_args(argv)
    data = args.data if osp.isabs(args.data) else osp.join(ROOT, args.data)
    wd = args.work_dir if osp.isabs(args.work_dir) else osp.join(ROOT, args.work_dir)
    os.makedirs(wd, exist_ok=True)
    steps = Step(args.threads)

    if not osp.isfile(osp.join(data, 'annotations', 'val.json')):
        steps.run('generate data', ['tools/dataset_converters/make_synthetic.py', '--out', data])
    train_data = args.train_data if osp.isabs(args.train_data) else osp.join(ROOT,
                                                                              args.train_data)
    if not args.skip_train and not osp.isfile(osp.join(train_data, 'annotations',
                                                       'train.json')):
        steps.run('generate training clips', [
            'tools/dataset_converters/make_synthetic.py', '--out', train_data, '--videos',
            str(args.train_videos), '--val-videos', '0', '--frames', str(args.train_frames)])

    det_ckpt, pose_ckpt = osp.join(wd, 'detector.pth'), osp.join(wd, 'pose.pth')
    if not args.skip_train:
        for step, config, name, epochs, ckpt in (
                ('train detector', DET_CONFIG, 'detector', args.det_epochs, det_ckpt),
                ('train pose model', POSE_CONFIG, 'pose', args.pose_epochs, pose_ckpt)):
            opts = data_options(data, train_data)
            if epochs:
                opts += [f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
                         f'default_hooks.checkpoint.interval={epochs}']
            steps.run(step, ['tools/train.py', config, '--work-dir', osp.join(wd, name),
                             '--no-validate', '--cfg-options'] + opts,
                      log=osp.join(wd, f'train_{name}.log'))
            shutil.copyfile(final_checkpoint(osp.join(wd, name)), ckpt)
    for path in (det_ckpt, pose_ckpt):
        if not osp.isfile(path):
            raise SystemExit(f'[demo] {path} missing (run without --skip-train)')
    untrained_det = osp.join(wd, 'untrained_detector.pth')
    untrained_pose = osp.join(wd, 'untrained_pose.pth')
    save_untrained_checkpoint(DET_CONFIG, untrained_det)
    save_untrained_checkpoint(POSE_CONFIG, untrained_pose)

    results: Dict[str, Dict[str, float]] = {}
    for tag, det, pose in (('trained', det_ckpt, pose_ckpt),
                           ('untrained', untrained_det, untrained_pose)):
        out = steps.run(f'test detector ({tag})', [
            'tools/test.py', DET_CONFIG, det, '--work-dir', osp.join(wd, f'test_det_{tag}'),
            '--cfg-options'] + data_options(data))
        # mmdet's CocoMetric reports nothing when no box passes the test threshold: AP 0
        det_metrics = test_metrics(out, allow_empty=True)
        out = steps.run(f'test pose model ({tag})', [
            'tools/test.py', POSE_CONFIG, pose, '--work-dir',
            osp.join(wd, f'test_pose_{tag}'), '--cfg-options'] + data_options(data))
        pose_metrics = test_metrics(out)
        track_dir = osp.join(wd, f'test_tracking_{tag}')
        steps.run(f'test tracking pipeline ({tag})', [
            'tools/test.py', TRACK_CONFIG, 'none', '--work-dir', track_dir, '--cfg-options',
            f'tracking_pipeline.detector.checkpoint={det}',
            f'tracking_pipeline.pose_estimator.checkpoint={pose}',
            f'test_dataloader.dataset.data_root={data.rstrip("/")}/'])
        with open(osp.join(track_dir, 'tracking_metrics.json')) as f:
            track_metrics = json.load(f)
        results[tag] = {
            'detector bbox AP': det_metrics.get('coco/bbox_mAP', 0.0) * 100,
            'detector bbox AP50': det_metrics.get('coco/bbox_mAP_50', 0.0) * 100,
            'pose keypoint AP (GT boxes)': pose_metrics['coco/AP'] * 100,
            'PoseTrack mAP': track_metrics['posetrack/mAP'],
            'PoseTrack MOTA': track_metrics['posetrack/MOTA'],
        }

    val_videos = sorted(os.listdir(osp.join(data, 'images', 'val')))
    steps.run('track a held-out video', [
        'tools/track.py', osp.join(data, 'images', 'val', val_videos[0]), '--pipeline',
        TRACK_CONFIG, '--out', osp.join(wd, 'track'), '--cfg-options',
        f'tracking_pipeline.detector.checkpoint={det_ckpt}',
        f'tracking_pipeline.pose_estimator.checkpoint={pose_ckpt}'])

    total = time.perf_counter() - steps.t0
    print('\n[demo] ================= summary (held-out synthetic videos) =================')
    print(f'{"metric":32s} {"trained":>10s} {"untrained":>10s}')
    for key in results['trained']:
        print(f'{key:32s} {results["trained"][key]:10.1f} {results["untrained"][key]:10.1f}')
    print(f'[demo] rendered video: {osp.join(wd, "track", val_videos[0] + ".mp4")}')
    print('[demo] step times: ' + ', '.join(f'{k} {v:.0f} s' for k, v in steps.times.items()))
    print(f'[demo] total: {total / 60:.1f} min')
    summary = dict(results=results, step_seconds=steps.times, total_seconds=total,
                   rendered_video=osp.join(wd, 'track', val_videos[0] + '.mp4'))
    with open(osp.join(wd, 'demo_summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    worse = [k for k in ('detector bbox AP', 'pose keypoint AP (GT boxes)', 'PoseTrack mAP')
             if not results['trained'][k] > results['untrained'][k]]
    if worse:
        raise SystemExit(f'[demo] the trained models do not beat the untrained ones on {worse}')
    return summary


if __name__ == '__main__':
    main()

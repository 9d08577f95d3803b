"""tools/test.py on a tracking config under torchrun with 2 gloo CPU processes: the videos are
sharded over the ranks and the metrics equal those of one process exactly. tools/track.py:
many inputs (folder of videos / glob / text list), resume after a kill, split by rank."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
POSE_CONFIG = osp.join(ROOT, 'configs/demo/td-hm_res18-tiny_synthetic-128x96.py')


@pytest.fixture(scope='module')
def three_videos(tmp_path_factory):
    """Three short held-out synthetic videos (3 videos over 2 ranks: uneven shards)."""
    import importlib.util
    root = tmp_path_factory.mktemp('synth3')
    spec = importlib.util.spec_from_file_location(
        'make_synthetic', osp.join(ROOT, 'tools/dataset_converters/make_synthetic.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(['--out', str(root), '--videos', '0', '--val-videos', '3', '--frames', '5',
                 '--width', '160', '--height', '120', '--min-persons', '2', '--max-persons',
                 '3', '--workers', '1'])
    return root


@pytest.fixture(scope='module')
def tracking_config(three_videos, tmp_path_factory):
    """GT boxes -> a saved randomly initialised tiny pose model -> IoU tracker (same weights
    in every process)."""
    import plugins  # noqa: F401
    from mmengine.config import Config
    from mmpose.apis import init_model
    tmp = tmp_path_factory.mktemp('dist_cfg')
    torch.manual_seed(0)
    model = init_model(Config.fromfile(POSE_CONFIG), None, device='cpu')
    ckpt = tmp / 'random_pose.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    path = tmp / 'track.py'
    path.write_text(f"""
_base_ = ['{ROOT}/configs/demo/track_synthetic.py']
data_root = '{three_videos}/'
tracking_pipeline = dict(detector=None, pose_nms=None,
                         pose_estimator=dict(checkpoint='{ckpt}'), keypoint_score_thr=None)
test_dataloader = dict(dataset=dict(data_root=data_root))
""")
    return str(path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run(cmd, env=None, timeout=600):
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': ROOT, **(env or {})}
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_two_gloo_processes_give_the_one_process_metrics(tracking_config, tmp_path):
    one = tmp_path / 'one'
    run([sys.executable, 'tools/test.py', tracking_config, 'none', '--work-dir', str(one)])
    two = tmp_path / 'two'
    run([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
         '--master_port', str(free_port()), 'tools/test.py', tracking_config, 'none',
         '--work-dir', str(two), '--launcher', 'pytorch'])
    m1 = json.loads((one / 'tracking_metrics.json').read_text())
    m2 = json.loads((two / 'tracking_metrics.json').read_text())
    assert m1 == m2 and 'posetrack/mAP' in m1 and 'posetrack/MOTA' in m1
    # every video was tracked once, by one of the ranks, with the same predictions
    names = sorted(p.name for p in (one / 'tracking_results').glob('*.json'))
    assert len(names) == 3
    assert names == sorted(p.name for p in (two / 'tracking_results').glob('*.json'))
    for name in names:
        a = json.loads((one / 'tracking_results' / name).read_text())
        b = json.loads((two / 'tracking_results' / name).read_text())
        assert a == b
    logs = ''.join(p.read_text() for p in two.glob('*.log'))  # rank 0's log file
    assert 'rank 0/2: tracking 2 of 3 videos (10 of 15 frames)' in logs


# ----------------------------------------------------------------------------- track.py
def load_track_tool():
    import importlib.util
    spec = importlib.util.spec_from_file_location('track_tool', osp.join(ROOT, 'tools/track.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_videos(folder, n=3, frames=3):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    for v in range(n):
        path = folder / f'clip{v}.avi'
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10, (64, 48))
        for _ in range(frames):
            writer.write(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
        writer.release()
        paths.append(path)
    sub = folder / 'frames_v'
    sub.mkdir()
    for i in range(frames):
        cv2.imwrite(str(sub / f'{i:03d}.png'), np.zeros((48, 64, 3), np.uint8))
    return paths, sub


def test_track_tool_input_forms(tmp_path):
    tool = load_track_tool()
    paths, sub = write_videos(tmp_path / 'corpus')
    expected = [str(p) for p in paths] + [str(sub)]
    assert tool.expand_inputs([str(tmp_path / 'corpus')]) == expected  # videos + frame folders
    assert tool.expand_inputs([str(tmp_path / 'corpus' / '*.avi')]) == expected[:3]
    listing = tmp_path / 'list.txt'
    listing.write_text('# corpus\ncorpus/clip2.avi\n\n' + str(paths[0]) + '\n')
    assert tool.expand_inputs([str(listing)]) == [str(tmp_path / 'corpus' / 'clip2.avi'),
                                                  str(paths[0])]
    assert tool.expand_inputs([str(sub), str(sub)]) == [str(sub)]  # a frame folder, once
    with pytest.raises(FileNotFoundError, match='matches nothing'):
        tool.expand_inputs([str(tmp_path / 'none*.avi')])
    (tmp_path / 'bad.txt').write_text('missing.avi\n')
    with pytest.raises(FileNotFoundError, match='missing.avi'):
        tool.expand_inputs([str(tmp_path / 'bad.txt')])


@pytest.mark.parametrize('env, expected', [
    ({}, (0, 1)), ({'RANK': '1', 'WORLD_SIZE': '3'}, (1, 3)),
    ({'SLURM_PROCID': '2', 'SLURM_NTASKS': '4'}, (2, 4))])
def test_track_tool_rank_from_launcher_env(monkeypatch, env, expected):
    for key in ('RANK', 'WORLD_SIZE', 'SLURM_PROCID', 'SLURM_NTASKS'):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert load_track_tool().rank_and_world() == expected


@pytest.fixture(scope='module')
def box_pipeline_config(tmp_path_factory):
    """A pipeline whose detector is a fixed box (no model weights involved)."""
    tmp = tmp_path_factory.mktemp('box_pipe')
    path = tmp / 'pipe.py'
    path.write_text(f"""
_base_ = ['{ROOT}/configs/_base_/pipelines/topdown_oks_tracking.py']
custom_imports = dict(imports=['plugins', 'fixed_box_detector'], allow_failed_imports=False)
tracking_pipeline = dict(
    detector=dict(_delete_=True, type='FixedBoxDetector'),
    pose_estimator=dict(config='{POSE_CONFIG}', checkpoint=None),
    tracker=dict(type='IoUTracker'))
""")
    (tmp / 'fixed_box_detector.py').write_text('''
import numpy as np
from plugins.registry import POSE_STAGES

@POSE_STAGES.register_module(force=True)
class FixedBoxDetector:
    bbox_extension = 1.0
    def __call__(self, frame):
        return np.array([[4, 4, 40, 44]], np.float32), np.ones(1, np.float32)
''')
    return str(path), str(tmp)


def test_track_tool_many_inputs_resume_and_shards(tmp_path, box_pipeline_config):
    cfg, module_dir = box_pipeline_config
    paths, sub = write_videos(tmp_path / 'corpus')
    out = tmp_path / 'out'
    env = dict(PYTHONPATH=f'{ROOT}:{module_dir}')
    base = [sys.executable, 'tools/track.py', str(tmp_path / 'corpus'), '--pipeline', cfg,
            '--out', str(out), '--no-video']
    # rank 1 of 2 takes inputs 1 and 3 of the sorted four
    proc = run(base, env=dict(env, RANK='1', WORLD_SIZE='2'))
    assert sorted(p.name for p in out.glob('*.done')) == ['clip1.done', 'frames_v.done']
    # a killed run: clip0 has a JSON but no .done marker -> redone; finished ones skipped
    (out / 'clip0.json').write_text('{"images": [')
    proc = run(base, env=env)
    assert proc.stdout.count('skipped') == 2
    assert sorted(p.name for p in out.glob('*.done')) == [
        'clip0.done', 'clip1.done', 'clip2.done', 'frames_v.done']
    for name in ('clip0', 'clip1', 'clip2', 'frames_v'):
        data = json.loads((out / f'{name}.json').read_text())
        assert len(data['images']) == 3 and len(data['annotations']) == 3
    proc = run(base + ['--max-frames', '1'], env=env)
    assert proc.stdout.count('skipped') == 4


def test_slurm_launcher_environment_for_a_gloo_group(monkeypatch):
    """--launcher slurm on CPU: RANK / WORLD_SIZE / MASTER_* come from srun's variables."""
    import torch.distributed as dist

    from plugins.utils.cli import init_tracking_distributed
    for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv('SLURM_PROCID', '1')
    monkeypatch.setenv('SLURM_NTASKS', '2')
    monkeypatch.setenv('SLURM_LOCALID', '1')
    monkeypatch.setenv('SLURM_NODELIST', 'nodeA,nodeB')
    monkeypatch.setattr('torch.cuda.is_available', lambda: False)
    monkeypatch.setattr('subprocess.check_output', lambda *a, **k: 'nodeA\nnodeB\n')
    seen = {}
    monkeypatch.setattr(dist, 'init_process_group',
                        lambda backend: seen.update(backend=backend, env={
                            k: os.environ[k] for k in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK',
                                                       'MASTER_ADDR', 'MASTER_PORT')}))
    init_tracking_distributed('slurm')
    assert seen == dict(backend='gloo', env=dict(RANK='1', WORLD_SIZE='2', LOCAL_RANK='1',
                                                 MASTER_ADDR='nodeA', MASTER_PORT='29500'))
    monkeypatch.delenv('SLURM_PROCID')
    with pytest.raises(RuntimeError, match='SLURM_PROCID'):
        init_tracking_distributed('slurm')

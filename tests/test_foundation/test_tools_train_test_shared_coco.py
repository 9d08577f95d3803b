"""End to end on the real COCO sample files (../shared): tools/train.py -> tools/test.py -> --resume.

Also: DDP training with 2 CPU processes (gloo), and the errors the tools give on bad input.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import plugins  # noqa: F401  (checkpoint safe globals for torch.load)

CONFIG = 'configs/examples/td-hm_res18-tiny_coco-64x48.py'


def _data_options(coco: Path, batch_size: int = 2):
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={coco}/', f'{loader}.dataset.ann_file=test_coco.json',
                 f'{loader}.dataset.data_prefix.img=', f'{loader}.batch_size={batch_size}']
    opts += ['val_dataloader.dataset.bbox_file=None', 'test_dataloader.dataset.bbox_file=None',
             f'val_evaluator.ann_file={coco}/test_coco.json',
             f'test_evaluator.ann_file={coco}/test_coco.json', 'randomness.seed=0']
    return opts


def _run(repo_root, args, env=None, check=True):
    proc = subprocess.run([sys.executable, *args], cwd=repo_root, capture_output=True, text=True,
                          timeout=600, env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
    return proc


@pytest.fixture(scope='module')
def trained(tmp_path_factory, repo_root, shared_data_root):
    coco = shared_data_root / 'mmpose_samples' / 'coco'
    work = tmp_path_factory.mktemp('train_coco')
    _run(repo_root, ['tools/train.py', CONFIG, '--work-dir', str(work), '--cfg-options',
                     *_data_options(coco), 'train_cfg.max_epochs=2'])
    return coco, work


def test_train_writes_checkpoints_and_logs(trained):
    _, work = trained
    assert (work / 'epoch_2.pth').is_file()
    ckpt = torch.load(work / 'epoch_2.pth', map_location='cpu')  # weights_only default
    assert ckpt['meta']['epoch'] == 2 and 'state_dict' in ckpt and 'optimizer' in ckpt
    assert ckpt['meta']['dataset_meta']['dataset_name'] == 'coco'


def test_test_tool_loads_checkpoint_and_reports_coco_ap(trained, repo_root, tmp_path):
    coco, work = trained
    out = tmp_path / 'preds.pkl'
    proc = _run(repo_root, ['tools/test.py', CONFIG, str(work / 'epoch_2.pth'), '--work-dir',
                            str(tmp_path), '--out', str(out), '--cfg-options',
                            *_data_options(coco)])
    text = proc.stdout + proc.stderr
    match = re.search(r'coco/AP: (-?[0-9.]+)', text)
    assert match, text[-3000:]
    assert 0.0 <= float(match.group(1)) <= 1.0
    assert out.is_file() and out.stat().st_size > 0


def test_resume_continues_from_last_checkpoint(trained, repo_root):
    coco, work = trained
    proc = _run(repo_root, ['tools/train.py', CONFIG, '--work-dir', str(work), '--resume',
                            '--cfg-options', *_data_options(coco), 'train_cfg.max_epochs=3'])
    text = proc.stdout + proc.stderr
    assert 'resumed epoch: 2' in text, text[-3000:]
    assert (work / 'epoch_3.pth').is_file()


def test_mismatched_checkpoint_names_the_keys(trained, repo_root, tmp_path):
    coco, work = trained
    ckpt = torch.load(work / 'epoch_2.pth', map_location='cpu')
    sd = ckpt['state_dict']
    key = next(k for k in sd if k.endswith('final_layer.weight'))
    sd[key] = sd[key][:5]
    sd['backbone.extra_layer.weight'] = torch.zeros(1)
    bad = tmp_path / 'bad.pth'
    torch.save(ckpt, bad)
    proc = _run(repo_root, ['tools/test.py', CONFIG, str(bad), '--work-dir', str(tmp_path),
                            '--cfg-options', *_data_options(coco)], check=False)
    assert proc.returncode != 0
    assert key in proc.stderr and 'backbone.extra_layer.weight' in proc.stderr


def test_missing_ann_file_names_the_path(repo_root, shared_data_root, tmp_path):
    coco = shared_data_root / 'mmpose_samples' / 'coco'
    opts = _data_options(coco) + ['train_dataloader.dataset.ann_file=no_such_file.json']
    proc = _run(repo_root, ['tools/train.py', CONFIG, '--work-dir', str(tmp_path),
                            '--cfg-options', *opts], check=False)
    assert proc.returncode != 0 and 'no_such_file.json' in proc.stderr


def test_unregistered_type_in_config_names_type_and_registry(repo_root, tmp_path):
    cfg = tmp_path / 'bad_type.py'
    cfg.write_text(f"_base_ = ['{repo_root / CONFIG}']\n"
                   "model = dict(head=dict(type='NoSuchHead'))\n")
    proc = _run(repo_root, ['tools/train.py', str(cfg), '--work-dir', str(tmp_path)],
                check=False)
    assert proc.returncode != 0
    assert 'NoSuchHead' in proc.stderr and 'registry' in proc.stderr


def test_ddp_two_cpu_processes_gloo(repo_root, shared_data_root, tmp_path):
    """tools/dist_train.sh with 2 processes on CPU (gloo) trains a couple of iterations."""
    coco = shared_data_root / 'mmpose_samples' / 'coco'
    env = {'PORT': str(29500 + os.getpid() % 1000), 'OMP_NUM_THREADS': '1',
           'PYTHON': sys.executable}
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', str(tmp_path),
         '--cfg-options', *_data_options(coco, batch_size=1), 'train_cfg.max_epochs=1',
         'train_cfg.val_interval=5'],
        cwd=repo_root, capture_output=True, text=True, timeout=600, env={**os.environ, **env})
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-5000:]
    assert 'Distributed training is not used' not in text
    assert re.search(r'world_size: 2', text) or re.search(r'Epoch\(train\)', text), text[-3000:]
    assert (tmp_path / 'epoch_1.pth').is_file()
    scalars = list(tmp_path.glob('*/vis_data/scalars.json'))
    assert scalars and any('loss' in json.loads(line) for line in scalars[0].read_text().splitlines())

"""A CUDA device with CPU-only mmcv ops stops at build time with one message saying how to
rebuild (plugins/utils/mmcv_ops.py), in tools/train.py before any model is built; and
tools/install.sh picks the CUDA build of mmcv's ops by itself when torch sees a GPU and a
matching nvcc is there."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import plugins.utils.mmcv_ops as mmcv_ops
from plugins.utils.mmcv_ops import MMCVOpsError, check_mmcv_ops_for_device

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cpu_only_mmcv(monkeypatch):
    import mmcv.ops
    monkeypatch.setattr(mmcv.ops, 'get_compiling_cuda_version', lambda: 'not available')
    monkeypatch.delenv(mmcv_ops.ALLOW_ENV, raising=False)


@pytest.fixture
def cuda_mmcv(monkeypatch):
    import mmcv.ops
    monkeypatch.setattr(mmcv.ops, 'get_compiling_cuda_version', lambda: '13.0')


def test_installed_mmcv_reports_its_ops():
    # this machine builds CPU ops (no GPU): the real function says so
    import torch
    version = mmcv_ops.mmcv_cuda_version()
    assert version is None or torch.cuda.is_available()


@pytest.mark.parametrize('device', ['cuda', 'cuda:0', 'CUDA:1'])
def test_cuda_device_with_cpu_only_mmcv_stops_with_rebuild_command(cpu_only_mmcv, device):
    with pytest.raises(MMCVOpsError) as e:
        check_mmcv_ops_for_device(device, where='my_config.py')
    msg = str(e.value)
    assert msg.startswith('my_config.py: ')
    assert repr(device) in msg and 'make install' in msg and 'nvcc' in msg
    assert 'FORCE_CUDA=1' in msg and '"cpu"' in msg


@pytest.mark.parametrize('device', ['cpu', None, 'cpu:0'])
def test_cpu_device_never_stops(cpu_only_mmcv, device):
    check_mmcv_ops_for_device(device)


def test_cuda_device_with_cuda_ops_passes(cuda_mmcv):
    check_mmcv_ops_for_device('cuda:0')
    assert mmcv_ops.mmcv_cuda_version() == '13.0'


def test_escape_hatch(cpu_only_mmcv, monkeypatch):
    monkeypatch.setenv(mmcv_ops.ALLOW_ENV, '1')
    check_mmcv_ops_for_device('cuda:0')


def test_torch_device_objects(cpu_only_mmcv):
    import torch
    with pytest.raises(MMCVOpsError):
        check_mmcv_ops_for_device(torch.device('cuda', 0))
    check_mmcv_ops_for_device(torch.device('cpu'))


def test_train_tool_stops_before_building_on_gpu_machine(cpu_only_mmcv, monkeypatch, tmp_path):
    """tools/train.py on a machine whose torch sees a GPU, with CPU-only mmcv: the one message,
    and the runner is never built."""
    import importlib.util

    import mmengine.runner
    import torch
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    built = []
    monkeypatch.setattr(mmengine.runner.Runner, 'from_cfg',
                        classmethod(lambda cls, cfg: built.append(cfg)))
    spec = importlib.util.spec_from_file_location('_train_tool', ROOT / 'tools' / 'train.py')
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    with pytest.raises(MMCVOpsError, match='make install'):
        train.main([str(ROOT / 'configs/examples/td-hm_res18-tiny_coco-64x48.py'),
                    '--work-dir', str(tmp_path)])
    assert built == []


# ------------------------------------------------------------------ tools/install.sh detection
def _fake_bin(tmp_path, torch_cuda, gpu, nvcc_release):
    """A fake venv python (answers the detection's two questions) and a fake nvcc."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    py = bin_dir / 'python'
    py.write_text('#!/bin/sh\n'
                  'case "$*" in\n'
                  f'  *is_available*) echo {"1" if gpu else "0"} ;;\n'
                  f'  *version.cuda*) echo {torch_cuda} ;;\n'
                  '  *) echo unexpected "$*" >&2; exit 3 ;;\n'
                  'esac\n')
    py.chmod(0o755)
    if nvcc_release:
        nvcc = bin_dir / 'nvcc'
        nvcc.write_text('#!/bin/sh\n'
                        f'echo "Cuda compilation tools, release {nvcc_release}, V{nvcc_release}.1"\n')
        nvcc.chmod(0o755)
    return py, bin_dir


def _detect(tmp_path, monkeypatch_env, **kw):
    py, bin_dir = _fake_bin(tmp_path, **kw)
    env = {k: v for k, v in os.environ.items() if k not in ('FORCE_CUDA', 'CUDA_HOME')}
    env.update(monkeypatch_env)
    env['PATH'] = f'{bin_dir}:/usr/bin:/bin'
    env['VPY_OVERRIDE'] = str(py)
    proc = subprocess.run(['bash', str(ROOT / 'tools' / 'install.sh'), '--detect-cuda'],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1], proc.stderr


@pytest.mark.parametrize('gpu,torch_cuda,nvcc,env,expected', [
    (True, '12.8', '12.8', {}, 'cuda12.8'),       # GPU + matching nvcc: CUDA ops by itself
    (True, '12.8', '12.4', {}, 'cpu'),            # nvcc of another CUDA: CPU ops, warned
    (True, '12.8', None, {}, 'cpu'),              # no nvcc: CPU ops, warned
    (False, '12.8', '12.8', {}, 'cpu'),           # no GPU
    (False, '12.8', '12.8', {'FORCE_CUDA': '1'}, 'cuda12.8'),  # forced (e.g. a build box)
    (True, '12.8', '12.8', {'FORCE_CUDA': '0'}, 'cpu'),        # forced off
])
def test_install_picks_cuda_ops_by_itself(tmp_path, gpu, torch_cuda, nvcc, env, expected):
    variant, err = _detect(tmp_path, env, torch_cuda=torch_cuda, gpu=gpu, nvcc_release=nvcc)
    assert variant == f'variant={expected}'
    if gpu and expected == 'cpu' and 'FORCE_CUDA' not in env:
        assert 'nvcc' in err and 'CPU-only' in err

"""tools/gpu_check.sh in --dry-run mode (no GPU here): it checks the carried folder, installs
offline with FORCE_CUDA=1 into its own venv, checks the CUDA ops, and runs the harness on
cuda:0 for the paper configs (not the synthetic ones)."""
import os
import subprocess
import sys
from pathlib import Path

import harness

ROOT = Path(__file__).resolve().parents[2]
WHEELS = ('torch-2.11.0-cp311-cp311-manylinux_2_28_x86_64.whl',
          'torchvision-0.26.0-cp311-cp311-manylinux_2_28_x86_64.whl',
          'mmengine-0.10.7-py3-none-any.whl', 'mmdet-3.3.0-py3-none-any.whl',
          'mmpose-1.3.2-py2.py3-none-any.whl', 'numpy-2.2.6-cp311-cp311-manylinux.whl',
          'opencv_python-4.11.0.86-cp37-abi3-manylinux.whl', 'scipy-1.16.0-cp311-manylinux.whl')


def _carry(tmp_path, skip=()):
    (tmp_path / 'carry' / 'wheels').mkdir(parents=True)
    (tmp_path / 'carry' / 'sources').mkdir()
    for w in WHEELS:
        if not any(w.startswith(s) for s in skip):
            (tmp_path / 'carry' / 'wheels' / w).touch()
    for s in ('mmcv-2.1.0.tar.gz', 'xtcocotools-1.14.3.tar.gz'):
        if s not in skip:
            (tmp_path / 'carry' / 'sources' / s).touch()
    return tmp_path / 'carry'


def _run(tmp_path, carry, *extra):
    env = dict(os.environ, PYTHON=sys.executable)
    return subprocess.run(['bash', 'tools/gpu_check.sh', str(carry), '--out',
                           str(tmp_path / 'out'), *extra], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


def test_dry_run_lists_offline_install_and_paper_configs_on_cuda(tmp_path):
    proc = _run(tmp_path, _carry(tmp_path), '--dry-run')
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    install = next(line for line in out.splitlines() if 'tools/install.sh' in line)
    assert 'FORCE_CUDA=1' in install and 'VENV=.venv-gpu' in install
    run = next(line for line in out.splitlines() if 'run_harness.py' in line)
    assert '--device cuda:0' in run
    listed = [a for a in run.split() if a.endswith('.py') and 'run_harness' not in a]
    paper = [harness.rel(c) for c in harness.all_configs()
             if not any(s in harness.rel(c) for s in ('synthetic', 'configs/examples/',
                                                      'configs/demo/'))]
    assert listed == paper and paper
    assert 'missing' not in proc.stderr


def test_incomplete_carry_folder_is_named(tmp_path):
    carry = _carry(tmp_path, skip=('torch-', 'mmcv-2.1.0.tar.gz'))
    proc = _run(tmp_path, carry, '--dry-run')
    assert 'missing the torch 2.11.0 wheel' in proc.stderr
    assert 'mmcv-2.1.0.tar.gz' in proc.stderr and '--prepare' in proc.stderr
    proc = _run(tmp_path, carry)  # not a dry run: stops before installing anything
    assert proc.returncode == 2 and 'tools/install.sh' not in proc.stdout


def test_configs_option_selects(tmp_path):
    proc = _run(tmp_path, _carry(tmp_path), '--dry-run', '--configs', 'rmpe_hg2 track_posetrack18.py')
    run = next(line for line in proc.stdout.splitlines() if 'run_harness.py' in line)
    assert 'rmpe_hg2 track_posetrack18.py --out' in run

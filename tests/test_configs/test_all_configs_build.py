"""Every config of the project loads; every config with a model builds and runs a forward pass.

Catches config rot: a renamed argument, a removed component, a base that moved.
"""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

import plugins  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(
    [p for p in ROOT.glob('projects/*/configs/**/*.py')] +
    [p for p in ROOT.glob('configs/**/*.py') if '_base_' not in p.parts])


def _input_shape(cfg):
    if cfg.get('smoke_input_shape') is not None:
        return tuple(cfg.smoke_input_shape)
    codec = cfg.get('codec')
    if isinstance(codec, dict) and 'input_size' in codec:
        w, h = codec['input_size'][:2]
        return (1, 3, int(h), int(w))
    return (1, 3, 64, 64)


def _assert_finite(out, where):
    if isinstance(out, torch.Tensor):
        assert torch.isfinite(out).all(), f'{where}: non-finite output'
    elif isinstance(out, (list, tuple)):
        for o in out:
            _assert_finite(o, where)
    elif isinstance(out, dict):
        for o in out.values():
            _assert_finite(o, where)


def test_there_are_configs():
    assert CONFIGS


@pytest.mark.parametrize('path', CONFIGS, ids=[str(p.relative_to(ROOT)) for p in CONFIGS])
def test_config_builds_and_forwards(path):
    cfg = Config.fromfile(str(path))
    if 'model' not in cfg:
        assert len(cfg.keys()) > 0
        return
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    model = MODELS.build(cfg.model)
    model.eval()
    shape = _input_shape(cfg)
    torch.manual_seed(0)
    with torch.no_grad():
        out = model(torch.rand(shape), None, mode='tensor')
    _assert_finite(out, str(path))

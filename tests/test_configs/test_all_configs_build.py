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


def _metric_prefixes(evaluator_cfg, scope: str) -> set:
    """Prefixes (``'coco'``, ``'posetrack'``, ...) of the metric keys an evaluator reports."""
    if scope == 'mmdet':
        from mmdet.registry import METRICS
    else:
        from mmpose.registry import METRICS
    cfgs = evaluator_cfg if isinstance(evaluator_cfg, (list, tuple)) else [evaluator_cfg]
    prefixes = set()
    for m in cfgs:
        if isinstance(m, dict) and m.get('type') == 'Evaluator':
            prefixes |= _metric_prefixes(m.get('metrics', []), scope)
            continue
        cls = METRICS.get(m['type'])
        assert cls is not None, f'unknown metric type {m["type"]!r}'
        prefixes.add(m.get('prefix') or getattr(cls, 'default_prefix', None))
    return prefixes


@pytest.mark.parametrize('path', CONFIGS, ids=[str(p.relative_to(ROOT)) for p in CONFIGS])
def test_save_best_names_a_metric_the_evaluator_reports(path):
    """``save_best='coco/AP'`` with an evaluator that reports ``posetrack/...`` fails only at the
    first validation, after an epoch of (GPU) training: catch it here."""
    cfg = Config.fromfile(str(path))
    ckpt = cfg.get('default_hooks', {}).get('checkpoint') or {}
    best = ckpt.get('save_best')
    if not best or cfg.get('val_evaluator') is None:
        return
    scope = cfg.get('default_scope', 'mmpose')
    init_default_scope(scope)
    prefixes = _metric_prefixes(cfg.val_evaluator, scope)
    for key in ([best] if isinstance(best, str) else best):
        if key == 'auto' or '/' not in key:
            continue
        assert key.split('/')[0] in prefixes, (
            f'{path.name}: save_best={key!r} but the val_evaluator reports {sorted(prefixes)}/...')

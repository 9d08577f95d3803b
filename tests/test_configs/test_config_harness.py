"""Every config of the project runs end to end on the mini datasets (``harness.py``).

One test per config file, found by glob (a config added anywhere under ``projects/*/configs/``
or ``configs/`` is picked up); a config the harness has no runner for fails. The paper-scale
configs (real backbones at real input size, real detectors) are marked ``slow``; CI runs them
too (``make test``), ``-m "not slow"`` leaves them out locally.

The tests are split over ``test_config_harness_part{0..3}.py`` so that pytest-xdist's
``--dist loadfile`` spreads them over the workers; this file holds the checks of the harness
itself and of every config's classification.

``CONFIG_HARNESS_TIMINGS=path.jsonl`` appends each run's record (steps, CPU seconds, metrics);
``python tests/test_configs/report.py path.jsonl`` turns it into docs/configs.md.
"""
import json
from pathlib import Path

import pytest
import torch

import harness
from harness import ROOT, HarnessError, NoRunner

CONFIGS = harness.all_configs()


def test_there_are_configs():
    assert len(CONFIGS) > 10
    assert all(p.suffix == '.py' for p in CONFIGS)


@pytest.mark.parametrize('path', CONFIGS, ids=[harness.rel(p) for p in CONFIGS])
def test_every_config_has_a_runner(path):
    assert harness.runner_for(path, configs=CONFIGS) in (
        'model', 'tracking', 'tracker', 'post_processor', 'metainfo', 'base')


def test_a_config_without_runner_fails(tmp_path):
    cfg = tmp_path / 'nothing.py'
    cfg.write_text('custom_imports = dict(imports=["plugins"])\nfoo = 1\n')
    with pytest.raises(NoRunner, match='no runner'):
        harness.runner_for(cfg, configs=[cfg])


def test_parts_cover_every_config_once():
    parts = [harness.part(i) for i in range(harness.NUM_PARTS)]
    flat = [p for part in parts for p in part]
    assert sorted(flat) == CONFIGS


def _cfg(tmp_path, text):
    f = tmp_path / 'c.py'
    f.write_text(text)
    return f, harness.load(f)


def test_overrides_map_data_paths_loaders_iterations(tmp_path):
    f, cfg = _cfg(tmp_path, '''
data_root = 'data/coco/'
model = dict(type='X')
train_dataloader = dict(batch_size=64, num_workers=8, persistent_workers=True,
    dataset=dict(data_root=data_root, ann_file='annotations/a.json',
                 pipeline=[dict(type='Y', cache_dir='data/cache/y'), dict(type='Z')]))
val_dataloader = dict(batch_size=32, dataset=dict(data_root='data/posetrack18/',
                      bbox_file='data/posetrack18/annotations/d.json'))
val_evaluator = [dict(type='A', ann_file=data_root + 'annotations/v.json'), dict(type='B')]
train_cfg = dict(by_epoch=True, max_epochs=210, val_interval=10)
''')
    roots = dict(coco=tmp_path / 'C', posetrack18=tmp_path / 'P', mpii=tmp_path / 'M',
                 synthetic=tmp_path / 'S')
    opts = harness.overrides(f, cfg, roots, tmp_path / 'cache', tmp_path / 'ck')
    assert opts['train_dataloader.dataset.data_root'] == f'{tmp_path}/C/'
    assert opts['train_dataloader.dataset.pipeline.0.cache_dir'] == f'{tmp_path}/cache/y'
    assert opts['val_dataloader.dataset.bbox_file'] == f'{tmp_path}/P/annotations/d.json'
    assert opts['val_evaluator.0.ann_file'] == f'{tmp_path}/C/annotations/v.json'
    assert opts['train_dataloader.batch_size'] == 2 and opts['val_dataloader.batch_size'] == 1
    assert opts['train_dataloader.num_workers'] == 0
    assert opts['train_dataloader.persistent_workers'] is False
    assert (opts['train_cfg.max_epochs'], opts['train_cfg.val_interval']) == (1, 1)
    # relative paths and other keys stay as written
    assert 'train_dataloader.dataset.ann_file' not in opts
    cfg.merge_from_dict(opts)  # every key exists in the config
    assert cfg.val_evaluator[1].type == 'B'


def test_overrides_refuse_unknown_data(tmp_path):
    f, cfg = _cfg(tmp_path, "model = dict(type='X')\n"
                  "train_dataloader = dict(dataset=dict(data_root='data/kitti/'))\n")
    with pytest.raises(HarnessError, match='data/kitti'):
        harness.overrides(f, cfg, {}, tmp_path, tmp_path)


def test_stand_in_checkpoints_fit_their_architecture(tmp_path):
    """A URL in a module's init_cfg gets a checkpoint of that module (with the init_cfg's key
    prefix); a pipeline stage's checkpoint one of the model of its config."""
    from mmengine.runner import load_checkpoint
    f, cfg = _cfg(tmp_path, '''
model = dict(type='TopdownPoseEstimator',
    backbone=dict(type='ResNet', depth=18, init_cfg=dict(type='Pretrained',
                  checkpoint='torchvision://resnet18')),
    head=dict(type='HeatmapHead', in_channels=512, out_channels=17, deconv_out_channels=None))
train_dataloader = dict(dataset=dict())
tracking_pipeline = dict(pose_estimator=dict(
    config='configs/examples/td-hm_res18-tiny_coco-64x48.py',
    checkpoint='https://example.com/x.pth'))
''')
    opts = harness.overrides(f, cfg, {}, tmp_path, tmp_path / 'ck')
    ck = opts['model.backbone.init_cfg.checkpoint']
    sd = torch.load(ck, map_location='cpu')['state_dict']
    assert 'layer4.1.conv2.weight' in sd and 'conv1.weight' in sd
    from mmpose.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmpose')
    backbone = MODELS.build(dict(type='ResNet', depth=18))
    load_checkpoint(backbone, ck, strict=True)
    pose = opts['tracking_pipeline.pose_estimator.checkpoint']
    tiny = harness._build_model_from_config(
        str(ROOT / 'configs/examples/td-hm_res18-tiny_coco-64x48.py'))
    load_checkpoint(tiny, pose, strict=True)
    # cached: the same source gives the same file
    assert harness.overrides(f, cfg, {}, tmp_path, tmp_path / 'ck')[
        'tracking_pipeline.pose_estimator.checkpoint'] == pose


def test_val_metrics_read_from_the_training_log(tmp_path):
    log = tmp_path / '20260101_000000' / '20260101_000000.log'
    log.parent.mkdir()
    log.write_text(
        '2026/01/01 - mmengine - INFO - Epoch(train) [1][2/2]  lr: 1e-3  loss: 0.5\n'
        '2026/01/01 - mmengine - INFO - Epoch(val) [1][6/6]    coco/AP: 0.250000  '
        'coco/AP .5: 0.500000  posetrack/mAP: nan  data_time: 0.01  time: 0.09\n')
    m = harness.val_metrics(tmp_path)
    assert m['coco/AP'] == 0.25 and m['coco/AP .5'] == 0.5 and 'time' not in m
    assert m['posetrack/mAP'] != m['posetrack/mAP']  # NaN


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


@pytest.mark.parametrize('path', CONFIGS, ids=[harness.rel(p) for p in CONFIGS])
def test_save_best_names_a_metric_the_evaluator_reports(path):
    """The static form of the harness's save_best check: the clearer message, at no cost."""
    from mmengine.registry import init_default_scope
    cfg = harness.load(path)
    best = ((cfg.get('default_hooks') or {}).get('checkpoint') or {}).get('save_best')
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


def test_report_lists_every_record(tmp_path):
    import report
    recs = [dict(config='a.py', runner='model', ok=True, cpu_s=3.0,
                 steps=[dict(step='tools/train.py', cpu_s=2.0, wall_s=5.0)],
                 test_metrics={'coco/AP': 0.0}),
            dict(config='b.py', runner='tracking', ok=False, cpu_s=1.0,
                 steps=[dict(step='tools/test.py', cpu_s=1.0, wall_s=2.0, error='KeyError: x')])]
    f = tmp_path / 't.jsonl'
    f.write_text(''.join(json.dumps(r) + '\n' for r in recs))
    text = report.render(report.read(f))
    assert '| `a.py` | model |' in text and 'KeyError: x' in text and 'FAILS' in text

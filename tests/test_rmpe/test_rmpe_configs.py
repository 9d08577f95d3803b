"""The RMPE configs: each ablation changes only what its name says; proposal extension and DPG
placement in every pipeline. (Building + a forward pass of every config: tests/test_configs.)"""
from pathlib import Path

import pytest
from mmengine.config import Config

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / 'projects' / 'rmpe' / 'configs'
HG2 = 'rmpe_hg2_sstn-dpg_coco-320x256.py'
SYN = 'rmpe_res18-tiny_sstn-dpg_synthetic-80x64.py'


def flat(d, prefix=''):
    """Config dict -> {dotted key: leaf value} (lists kept as leaves)."""
    out = {}
    for k, v in d.items():
        key = f'{prefix}{k}'
        if isinstance(v, dict):
            out.update(flat(v, key + '.'))
        else:
            out[key] = v
    return out


def changed_keys(base: str, child: str):
    a = flat(Config.fromfile(str(CONFIGS / base)).to_dict())
    b = flat(Config.fromfile(str(CONFIGS / child)).to_dict())
    return {k for k in set(a) | set(b) if a.get(k, '<missing>') != b.get(k, '<missing>')}


@pytest.mark.parametrize('base,child,allowed', [
    (HG2, 'rmpe_hg8_sstn-dpg_coco-320x256.py',
     {'model.sppe.backbone.num_stacks', 'model.sppe.head.num_stages'}),
    (HG2, 'rmpe_hg2_no-sstn_coco-320x256.py', {'model.'}),
    (HG2, 'rmpe_hg2_sstn-no-parallel_coco-320x256.py', {'model.parallel_sppe'}),
    (HG2, 'rmpe_hg2_sstn-no-dpg_coco-320x256.py', {'custom_hooks'}),
    (HG2, 'rmpe_hg2_sstn-dpg-oks-nms_coco-320x256.py',
     {'pose_nms.', 'val_evaluator.pose_nms.', 'test_evaluator.pose_nms.'}),
    (SYN, 'rmpe_res18-tiny_no-sstn_synthetic-80x64.py', {'model.'}),
    (SYN, 'rmpe_res18-tiny_sstn-dpg-oks-nms_synthetic-80x64.py',
     {'pose_nms.', 'val_evaluator.pose_nms.', 'test_evaluator.pose_nms.'}),
])
def test_ablation_changes_only_what_it_names(base, child, allowed):
    changed = changed_keys(base, child)
    assert changed, f'{child} changes nothing'
    stray = {k for k in changed if not any(k == a or k.startswith(a) for a in allowed)}
    assert not stray, f'{child} also changes {sorted(stray)}'


def test_no_sstn_ablation_is_the_plain_sppe():
    cfg = Config.fromfile(str(CONFIGS / 'rmpe_hg2_no-sstn_coco-320x256.py'))
    base = Config.fromfile(str(CONFIGS / HG2))
    assert cfg.model.type == 'TopdownPoseEstimator'
    assert cfg.model.backbone == base.model.sppe.backbone
    assert cfg.model.head == base.model.sppe.head
    assert 'localization_net' not in cfg.model and 'parallel_sppe' not in cfg.model


@pytest.mark.parametrize('name', sorted(p.name for p in CONFIGS.glob('rmpe_*.py')))
def test_pipelines_extend_proposals_by_20_percent_and_place_the_dpg(name):
    cfg = Config.fromfile(str(CONFIGS / name))
    for pipeline in (cfg.train_dataloader.dataset.pipeline, cfg.val_dataloader.dataset.pipeline,
                     cfg.test_dataloader.dataset.pipeline):
        types = [t['type'] for t in pipeline]
        centre = pipeline[types.index('GetBBoxCenterScale')]
        assert centre['padding'] == pytest.approx(1.2)
    train = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert train.index('LoadImage') < train.index('DeepProposalsGenerator') < train.index(
        'GetBBoxCenterScale')
    hooks = [h['type'] for h in cfg.custom_hooks]
    assert ('DPGScheduleHook' in hooks) == ('no-dpg' not in name)
    if cfg.model.get('parallel_sppe'):
        assert cfg.train_dataloader.dataset.pipeline[-1].get('pack_transformed') is True
    assert cfg.val_evaluator.type == 'PoseNMSCocoMetric'
    assert cfg.model.type in ('SSTNPoseEstimator', 'TopdownPoseEstimator')
    if 'hg' in name:  # the paper's SPPE and input
        sppe = cfg.model.sppe if cfg.model.type == 'SSTNPoseEstimator' else cfg.model
        assert sppe.backbone.type == 'HourglassNet'
        assert sppe.backbone.num_stacks == (8 if 'hg8' in name else 2)
        assert tuple(sppe.head.decoder.input_size) == (256, 320)  # 320 x 256 (h x w)

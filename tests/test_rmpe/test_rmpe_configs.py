"""The RMPE configs: each ablation changes only what its name says; proposal extension and DPG
placement in every pipeline. (Building + a forward pass of every config: tests/test_configs.)"""
from pathlib import Path

import pytest
from mmengine.config import Config

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / 'projects' / 'rmpe' / 'configs'
HG2 = 'rmpe_hg2_sstn-dpg_coco-320x256.py'
SYN = 'rmpe_res18-tiny_sstn-dpg_synthetic-80x64.py'
MPII = 'rmpe_hg2_sstn-dpg_mpii-320x256.py'
PIPE = {'train_pipeline', 'train_dataloader.dataset.pipeline'}


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
    (HG2, 'rmpe_hg2_sstn-no-dpg_coco-320x256.py', {'custom_hooks'} | PIPE),
    (HG2, 'rmpe_hg2_sstn-dpg-oks-nms_coco-320x256.py',
     {'pose_nms.', 'val_evaluator.pose_nms.', 'test_evaluator.pose_nms.'}),
    (SYN, 'rmpe_res18-tiny_no-sstn_synthetic-80x64.py', {'model.'}),
    (SYN, 'rmpe_res18-tiny_sstn-dpg-oks-nms_synthetic-80x64.py',
     {'pose_nms.', 'val_evaluator.pose_nms.', 'test_evaluator.pose_nms.'}),
    (SYN, 'rmpe_res18-tiny_sstn-dpg-gmm_synthetic-80x64.py', {'dpg.'} | PIPE),
    (SYN, 'rmpe_res18-tiny_sstn-dpg-net_synthetic-80x64.py', {'dpg.'} | PIPE),
    (MPII, 'rmpe_hg2_two-steps_mpii-320x256.py',
     {'model.', 'custom_hooks', 'val_evaluator.pose_nms', 'test_evaluator.pose_nms'} | PIPE),
    (MPII, 'rmpe_hg2_sstn-dpg-oks-nms-for-ref6_mpii-320x256.py',
     {'pose_nms.', 'val_evaluator.pose_nms.', 'test_evaluator.pose_nms.'}),
    (MPII, 'rmpe_hg2_no-sstn_mpii-320x256.py', {'model.'}),
    (MPII, 'rmpe_hg2_sstn-no-parallel_mpii-320x256.py', {'model.parallel_sppe'}),
    (MPII, 'rmpe_hg2_sstn-no-dpg_mpii-320x256.py', {'custom_hooks'} | PIPE),
    (MPII, 'rmpe_hg2_sstn-dpg-no-nms_mpii-320x256.py',
     {'val_evaluator.pose_nms', 'test_evaluator.pose_nms'}),
])
def test_ablation_changes_only_what_it_names(base, child, allowed):
    changed = changed_keys(base, child)
    assert changed, f'{child} changes nothing'
    stray = {k for k in changed if not any(k == a or k.startswith(a) for a in allowed)}
    assert not stray, f'{child} also changes {sorted(stray)}'


def strip_scope(v):
    """Drop the ``_scope_ = 'mmpose'`` keys mmengine adds to dicts taken from mmpose bases."""
    if isinstance(v, dict):
        return {k: strip_scope(x) for k, x in v.items() if not (k == '_scope_' and x == 'mmpose')}
    if isinstance(v, (list, tuple)):
        return type(v)(strip_scope(x) for x in v)
    return v


def without_dpg(pipeline):
    return strip_scope([t for t in pipeline if t['type'] != 'DeepProposalsGenerator'])


@pytest.mark.parametrize('base,child', [
    (HG2, 'rmpe_hg2_sstn-no-dpg_coco-320x256.py'),
    (MPII, 'rmpe_hg2_sstn-no-dpg_mpii-320x256.py'),
    (SYN, 'rmpe_res18-tiny_sstn-dpg-gmm_synthetic-80x64.py'),
    (SYN, 'rmpe_res18-tiny_sstn-dpg-net_synthetic-80x64.py'),
    (MPII, 'rmpe_hg2_two-steps_mpii-320x256.py'),
])
def test_train_pipelines_differ_only_in_the_dpg(base, child):
    a = Config.fromfile(str(CONFIGS / base)).train_dataloader.dataset.pipeline
    b = Config.fromfile(str(CONFIGS / child)).train_dataloader.dataset.pipeline
    if 'two-steps' in child:  # also: no parallel SPPE, so no crop-frame poses to pack
        a = [dict(t, pack_transformed=False) if t['type'] == 'PackPoseInputs' else t for t in a]
        b = [dict(t, pack_transformed=False) if t['type'] == 'PackPoseInputs' else t for t in b]
    assert without_dpg(a) == without_dpg(b)
    if 'dpg-' in child:
        mode = 'atomic_pose_gmm' if 'gmm' in child else 'proposal_network'
        assert [t['mode'] for t in b if t['type'] == 'DeepProposalsGenerator'] == [mode]
    else:
        assert without_dpg(b) == strip_scope(b)


@pytest.mark.parametrize('name', sorted(p.name for p in CONFIGS.glob('rmpe_*.py')))
def test_configs_without_dpg_build_their_pipeline_without_any_dpg_file(name, tmp_path,
                                                                        monkeypatch):
    """Build the training pipeline in an empty folder: configs whose DPG stays off (no
    DPGScheduleHook) or is the AlphaPose preset need no file; the others fail at build time,
    naming the fitting tool."""
    from mmengine.dataset import Compose
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(str(CONFIGS / name))
    init_default_scope('mmpose')
    monkeypatch.chdir(tmp_path)
    dpgs = [t for t in cfg.train_dataloader.dataset.pipeline
            if t['type'] == 'DeepProposalsGenerator']
    uses_dpg = 'DPGScheduleHook' in [h['type'] for h in cfg.custom_hooks]
    assert uses_dpg == bool(dpgs)
    if not dpgs or dpgs[0].get('dpg_file') is None:
        Compose(cfg.train_dataloader.dataset.pipeline)
    else:
        with pytest.raises(FileNotFoundError, match='fit_dpg.py'):
            Compose(cfg.train_dataloader.dataset.pipeline)


@pytest.mark.parametrize('base,child', [
    (HG2, 'rmpe_hg2_no-sstn_coco-320x256.py'), (MPII, 'rmpe_hg2_no-sstn_mpii-320x256.py'),
    (MPII, 'rmpe_hg2_two-steps_mpii-320x256.py')])
def test_no_sstn_ablation_is_the_plain_sppe(base, child):
    cfg = Config.fromfile(str(CONFIGS / child))
    base = Config.fromfile(str(CONFIGS / base))
    assert cfg.model.type == 'TopdownPoseEstimator'
    assert strip_scope(cfg.model.backbone) == strip_scope(base.model.sppe.backbone)
    assert strip_scope(cfg.model.head) == strip_scope(base.model.sppe.head)
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
    hooks = [h['type'] for h in cfg.custom_hooks]
    no_dpg = 'no-dpg' in name or 'two-steps' in name
    assert ('DPGScheduleHook' in hooks) == (not no_dpg)
    assert ('DeepProposalsGenerator' in train) == (not no_dpg)
    if not no_dpg:
        assert train.index('LoadImage') < train.index('DeepProposalsGenerator') < train.index(
            'GetBBoxCenterScale')
    if cfg.model.get('parallel_sppe'):
        assert cfg.train_dataloader.dataset.pipeline[-1].get('pack_transformed') is True
    assert cfg.val_evaluator.type == ('MpiiMultiPersonMetric' if 'mpii' in name else
                                      'PoseNMSCocoMetric')
    nms = cfg.val_evaluator.pose_nms
    assert (nms is None) == ('two-steps' in name or 'no-nms' in name)
    if nms is not None and nms['type'] == 'ParametricPoseNMS':
        assert 'params_file' in nms  # fitted parameters: --cfg-options ...params_file=
    assert cfg.default_hooks.checkpoint.get('save_best') == (
        'mpii_mp/mAP' if 'mpii' in name else 'coco/AP')
    assert cfg.model.type in ('SSTNPoseEstimator', 'TopdownPoseEstimator')
    if 'hg' in name:  # the paper's SPPE and input
        sppe = cfg.model.sppe if cfg.model.type == 'SSTNPoseEstimator' else cfg.model
        assert sppe.backbone.type == 'HourglassNet'
        assert sppe.backbone.num_stacks == (8 if 'hg8' in name else 2)
        assert tuple(sppe.head.decoder.input_size) == (256, 320)  # 320 x 256 (h x w)
        assert sppe.head.out_channels == (16 if 'mpii' in name else 17)


def test_no_config_comment_calls_something_the_papers_that_is_not():
    """Every "the paper's" in a config comment is on a line naming one of the paper's own
    choices (checked by hand against the paper, listed here)."""
    allowed = ("paper's 5:4 crop", "paper's form", "paper's symmetric STN")
    for path in CONFIGS.glob('*.py'):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if "paper's" in line.lower():
                assert any(a in line for a in allowed), f'{path.name}:{i}: {line.strip()}'

"""The correspondence tracker's row of ``benchmarks/tracker_comparison.py`` end to end: a tiny
synthetic video, ``track_synthetic.py`` (the tracker + track merging / short-track removal) with
the tiny synthetic correspondence network at random weights (``--corr-checkpoint none``: no
training, no download)."""
import json
import math
from pathlib import Path

import pytest
from script_utils import load_script, tiny_synthetic_val

ROOT = Path(__file__).resolve().parents[2]



@pytest.fixture(scope='module')
def table():
    return load_script('benchmarks/tracker_comparison.py')


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    """One held-out synthetic video of 6 frames, 2-3 persons."""
    return tiny_synthetic_val(tmp_path_factory.mktemp('synth_corr'), 6, 2, 3)


def _corr_run(table, video, out: Path, *extra) -> dict:
    table.main(['--dataset', 'mini', '--gt', str(video / 'annotations' / 'val'), '--images',
                str(video), '--trackers', 'correspondences', 'IoU', '--corr-checkpoint', 'none',
                *extra, '--presets', 'light', '--seeds', '0', '--out', str(out)])
    runs = json.loads(out.read_text())['runs']
    assert sorted(runs) == ['IoU|light|0', 'correspondences|light|0']
    return runs['correspondences|light|0']


def test_correspondence_row_end_to_end(table, video, tmp_path, capsys):
    out = tmp_path / 'synthetic.json'
    corr = _corr_run(table, video, out)
    cfg = corr['tracker_cfg']
    assert cfg['type'] == 'CorrespondenceTracker' and cfg['checkpoint'] is None
    # the post-processors of track_synthetic.py ran, with the checkpoint replaced too
    assert [p['type'] for p in cfg['post_processors']] == ['CorrespondenceTrackMerging']
    assert cfg['post_processors'][0]['checkpoint'] is None
    assert cfg['post_processors'][0]['min_track_length'] == 3
    for key in ('plain', 'interp'):
        for metric in ('MOTA', 'HOTA', 'IDSW'):
            assert math.isfinite(corr[key][metric]), (key, metric, corr[key])
    capsys.readouterr()
    table.main(['--markdown', str(out)])
    rows = [ln for ln in capsys.readouterr().out.splitlines()
            if ln.startswith('| correspondences |')]
    assert len(rows) == 1 and rows[0].count(' / ') == 3  # MOTA, HOTA, IDSW of one preset


def test_correspondence_config_option(table, video, tmp_path):
    """``--corr-config``: with random weights nothing is associated, so the default
    short-track removal (3 frames) drops every pose; a config keeping 1-frame tracks
    outputs them (HOTA > 0), so the config's post-processor is the one applied."""
    config = tmp_path / 'track_keep_all.py'
    config.write_text(f"_base_ = [{str(ROOT / table.CORR_CONFIG)!r}]\n"
                      'post_processors = [dict(type="CorrespondenceTrackMerging", '
                      'model=_base_.correspondence_config, checkpoint=None, '
                      'metainfo="configs/_base_/datasets/posetrack18.py", joint_threshold=0.1, '
                      'oks_threshold=0.5, max_gap=10, min_track_length=1)]\n')
    corr = _corr_run(table, video, tmp_path / 'keep_all.json', '--corr-config', str(config))
    assert corr['tracker_cfg']['post_processors'][0]['min_track_length'] == 1
    for key in ('plain', 'interp'):
        assert math.isfinite(corr[key]['MOTA'])
        assert 0 < corr[key]['HOTA'] <= 100


def test_correspondences_need_a_checkpoint_and_frames(table, video, tmp_path):
    gt = str(video / 'annotations' / 'val')
    with pytest.raises(ValueError, match='--corr-checkpoint'):
        table.main(['--gt', gt, '--images', str(video), '--trackers', 'correspondences',
                    '--out', str(tmp_path / 'a.json')])
    with pytest.raises(ValueError, match='--images'):
        table.main(['--gt', gt, '--trackers', 'correspondences', '--corr-checkpoint', 'none',
                    '--out', str(tmp_path / 'b.json')])
    assert not (tmp_path / 'a.json').exists() and not (tmp_path / 'b.json').exists()

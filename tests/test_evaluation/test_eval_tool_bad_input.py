"""tools/eval_posetrack.py names file, frame and field for NaN / inf keypoints and bad ids."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from plugins.datasets.posetrack_json import dump_posetrack_video
from tiny_cases import perfect_predictions, video, gt_frame

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path):
    gt = video([gt_frame(t, [(1, (10.0 + t, 50.0)), (2, (90.0, 40.0))]) for t in range(3)]
               + [gt_frame(3, [])])  # a labeled frame with nobody
    dump_posetrack_video(gt, tmp_path / 'gt' / 'tiny.json')
    dump_posetrack_video(perfect_predictions(gt), tmp_path / 'pred' / 'tiny.json')
    return tmp_path / 'pred' / 'tiny.json'


def _tool():
    import importlib.util
    spec = importlib.util.spec_from_file_location('eval_posetrack_tool',
                                                  ROOT / 'tools' / 'eval_posetrack.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _error(tmp_path) -> str:
    """The message the tool prints after ``error:`` (it exits 1 on ValueError)."""
    with pytest.raises(ValueError) as info:
        _tool().main(['--gt', str(tmp_path / 'gt'), '--pred', str(tmp_path / 'pred')])
    return str(info.value)


def test_valid_files_score(tmp_path):
    _write(tmp_path)
    assert _tool().main(['--gt', str(tmp_path / 'gt'), '--pred', str(tmp_path / 'pred')]).ap[0] \
        == pytest.approx(100.0)


def test_command_line_prints_one_line_without_traceback(tmp_path):
    pred = _write(tmp_path)
    data = json.loads(pred.read_text())
    data['annotations'][0]['keypoints'][0] = float('nan')
    pred.write_text(json.dumps(data))
    proc = subprocess.run([sys.executable, str(ROOT / 'tools' / 'eval_posetrack.py'), '--gt',
                           str(tmp_path / 'gt'), '--pred', str(tmp_path / 'pred')],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1
    assert proc.stderr.startswith('error: ') and str(pred) in proc.stderr
    assert 'Traceback' not in proc.stderr


@pytest.mark.parametrize('field,value', [('keypoints', float('nan')), ('keypoints', float('inf')),
                                         ('scores', float('nan'))])
def test_non_finite_values_are_an_error(tmp_path, value, field):
    pred = _write(tmp_path)
    data = json.loads(pred.read_text())
    ann = [a for a in data['annotations'] if a['image_id'] == 1][1]
    ann[field][3 if field == 'keypoints' else 1] = value
    pred.write_text(json.dumps(data))  # json writes NaN / Infinity tokens
    err = _error(tmp_path)
    assert str(pred) in err and 'frame 1' in err and f"'{field}'" in err, err


@pytest.mark.parametrize('bad', ['abc', 1.5, [3], True])
def test_non_integer_track_id_is_an_error(tmp_path, bad):
    pred = _write(tmp_path)
    data = json.loads(pred.read_text())
    ann = [a for a in data['annotations'] if a['image_id'] == 2][0]
    ann['track_id'] = bad
    pred.write_text(json.dumps(data))
    err = _error(tmp_path)
    assert str(pred) in err and 'frame 2' in err and "'track_id'" in err, err
    assert 'invalid literal' not in err

"""MPII PCKh (mmpose's MpiiPCKAccuracy) through tools/train.py and tools/test.py on the real
MPII sample files in ../shared. The head boxes file (``mpii_gt_val.mat`` in the real dataset) is
written from the annotated upper-neck / head-top joints."""
import re
import subprocess
import sys

import numpy as np
import scipy.io

CONFIG = 'configs/examples/td-hm_res18-tiny_mpii-64x64.py'


def _write_headboxes(ann, path):
    import json
    anns = json.loads(ann.read_text())
    boxes = []
    for a in anns:
        j = np.asarray(a['joints'], np.float64)
        neck, top = j[8], j[9]
        size = max(np.linalg.norm(top - neck), 1.0)
        centre = (neck + top) / 2
        boxes.append([centre - size / 2, centre + size / 2])  # [[x1, y1], [x2, y2]]
    src = np.transpose(np.asarray(boxes), [1, 2, 0])  # (2, 2, N) as in mpii_gt_val.mat
    scipy.io.savemat(str(path), {'headboxes_src': src})


def test_mpii_pckh_through_train_and_test_tools(repo_root, shared_data_root, tmp_path):
    mpii = shared_data_root / 'mmpose_samples' / 'mpii'
    headbox = tmp_path / 'mpii_gt_val.mat'
    _write_headboxes(mpii / 'test_mpii.json', headbox)
    opts = ['train_cfg.max_epochs=1', 'randomness.seed=0']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={mpii}/', f'{loader}.dataset.ann_file=test_mpii.json',
                 f'{loader}.dataset.data_prefix.img=', f'{loader}.batch_size=5']
    opts += [f'val_dataloader.dataset.headbox_file={headbox}',
             f'test_dataloader.dataset.headbox_file={headbox}']

    def run(args):
        proc = subprocess.run([sys.executable, *args], cwd=repo_root, capture_output=True,
                              text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-4000:]
        return proc.stdout + proc.stderr

    run(['tools/train.py', CONFIG, '--work-dir', str(tmp_path), '--cfg-options', *opts])
    text = run(['tools/test.py', CONFIG, str(tmp_path / 'epoch_1.pth'), '--work-dir',
                str(tmp_path), '--cfg-options', *opts])
    match = re.search(r'Head PCK: [0-9.]+ .* PCK: (-?[0-9.]+)', text)  # PCKh@0.5
    assert match, text[-3000:]
    assert 0.0 <= float(match.group(1)) <= 100.0

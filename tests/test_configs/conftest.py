"""Fixtures of the config harness: the mini datasets (one per layout, made once per test
process) and the folders shared by the test workers (stand-in checkpoints)."""
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from mini_datasets import make_synthetic_mini  # noqa: E402

ROOT = HERE.parents[1]


def _prepare_synthetic(root: Path) -> None:
    """The data preparation the project READMEs list before training on data/synthetic:
    RMPE's detection simulation and DPG fitting (projects/rmpe/README.md)."""
    import harness
    if (ROOT / 'projects/rmpe/tools/prepare_synthetic.py').is_file():
        harness.tool('projects/rmpe/tools/prepare_synthetic.py').main([str(root)])
    elif (ROOT / 'projects/rmpe/tools/simulate_detections.py').is_file():
        harness.tool('projects/rmpe/tools/simulate_detections.py').main(
            [str(root / 'annotations' / 'val.json'),
             str(root / 'rmpe' / 'val_simulated_detections.json')])


def _prepare_coco(root: Path) -> None:
    """RMPE's DPG file of the COCO configs (data/coco/dpg/dpg_train2017.json), fitted from
    simulated detections on the mini train2017 (projects/rmpe/README.md)."""
    import harness
    if (ROOT / 'projects/rmpe/tools/prepare_synthetic.py').is_file():
        harness.tool('projects/rmpe/tools/prepare_synthetic.py').main([str(root), '--layout',
                                                                       'coco'])


@pytest.fixture(scope='session')
def mini_roots(tmp_path_factory):
    """``layout -> root`` of the synthetic mini datasets (coco, posetrack18, mpii, synthetic)."""
    base = tmp_path_factory.mktemp('mini_data')
    roots = {layout: make_synthetic_mini(layout, base / layout)
             for layout in ('coco', 'posetrack18', 'mpii', 'synthetic')}
    _prepare_synthetic(roots['synthetic'])
    _prepare_coco(roots['coco'])
    return roots


@pytest.fixture(scope='session')
def harness_dirs(tmp_path_factory):
    """``(cache, checkpoints)``: the data cache of this process, the stand-in checkpoints
    shared by all test workers."""
    shared = tmp_path_factory.getbasetemp()
    if shared.name.startswith('popen-gw'):  # pytest-xdist: one base folder per worker
        shared = shared.parent
    return tmp_path_factory.mktemp('data_cache'), shared / 'harness_checkpoints'

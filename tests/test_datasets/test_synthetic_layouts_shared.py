"""The mini datasets assembled from the real sample files (``../shared/data/mmpose_samples``)
pass the same checks as the synthetic ones (``test_synthetic_layouts.py``)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'test_configs'))
from mini_datasets import make_shared_mini  # noqa: E402
from test_synthetic_layouts import (check_coco, check_mmdet_coco, check_mpii,  # noqa: E402
                                    check_posetrack18)

pytestmark = pytest.mark.filterwarnings('ignore')


@pytest.fixture(scope='module')
def shared_roots(tmp_path_factory, shared_data_root):
    base = tmp_path_factory.mktemp('shared_layouts')
    samples = shared_data_root / 'mmpose_samples'
    return {layout: make_shared_mini(layout, samples, base / layout)
            for layout in ('coco', 'posetrack18', 'mpii')}


def test_coco_layout_from_real_samples(shared_roots):
    counts = check_coco(shared_roots['coco'])
    assert counts['train'] > 0 and counts['val'] > 0
    check_mmdet_coco(shared_roots['coco'])


def test_posetrack18_layout_from_real_samples(shared_roots):
    # the three real validation files have one labeled frame each
    assert check_posetrack18(shared_roots['posetrack18'], expect_unlabeled=False) == dict(
        videos=3, labeled=3)


def test_mpii_layout_from_real_samples(shared_roots):
    assert check_mpii(shared_roots['mpii']) == dict(train=5, val=5)

"""Tiny datasets in the layouts of the real ones, for the end-to-end config harness.

Two sources, same layouts (``plugins/datasets/synthetic/layouts.py`` describes them):

- :func:`make_synthetic_mini` renders them with the synthetic generator, exactly as
  ``tools/dataset_converters/make_synthetic.py --layout ...`` does (no ``../shared`` needed);
- :func:`make_shared_mini` assembles them from the real sample files of
  ``../shared/data/mmpose_samples`` (tests using it have ``shared`` in their file name).

Sizes are chosen so that one training epoch is two iterations at batch size 2 and one
validation pass is a handful of crops.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
MAKE_SYNTHETIC = ROOT / 'tools' / 'dataset_converters' / 'make_synthetic.py'

#: ``make_synthetic.py`` arguments of each mini layout
MINI_ARGS: Dict[str, list] = {
    # 2 train frames x 2 people = 4 top-down samples; 1 val frame + simulated detections
    'coco': ['--videos', '1', '--val-videos', '1', '--frames', '2', '--val-frames', '1',
             '--min-persons', '2', '--max-persons', '2', '--crowd-prob', '1'],
    # val: 2 videos x 3 frames, frames 0 and 2 labeled (PoseTrack18 labels a subset); every
    # val frame costs a detector pass in the tracking configs
    'posetrack18': ['--videos', '1', '--val-videos', '2', '--frames', '2', '--val-frames', '3',
                    '--min-persons', '2', '--max-persons', '2', '--crowd-prob', '1',
                    '--val-label-every', '2'],
    'mpii': ['--videos', '1', '--val-videos', '1', '--frames', '2', '--val-frames', '1',
             '--min-persons', '2', '--max-persons', '2', '--crowd-prob', '0'],
    # the project's layout (data/synthetic): 3-frame videos so temporal models have neighbours
    'synthetic': ['--videos', '1', '--val-videos', '1', '--frames', '3', '--min-persons', '2',
                  '--max-persons', '2', '--crowd-prob', '1'],
}


def make_synthetic_mini(layout: str, out: Path, in_process: bool = True) -> Path:
    """Render the mini dataset of ``layout`` into ``out`` with the synthetic generator.

    Args:
        layout: ``coco``, ``posetrack18``, ``mpii`` or ``synthetic``.
        out: Dataset root to create.
        in_process: Call ``make_synthetic.main`` directly (fast) instead of a subprocess.

    Returns:
        ``out``.
    """
    argv = ['--layout', layout, '--out', str(out), '--width', '384', '--height', '288',
            '--workers', '1', '--seed', '0', *MINI_ARGS[layout]]
    if in_process:
        import importlib.util

        # the tool binds a bare ``plugins`` package when none is loaded (fast start-up); in a
        # test process the real one (registrations, checkpoint safe globals) must come first
        import plugins  # noqa: F401
        spec = importlib.util.spec_from_file_location('_make_synthetic', MAKE_SYNTHETIC)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mod.main(argv)
    else:
        subprocess.run([sys.executable, str(MAKE_SYNTHETIC), *argv], check=True, cwd=ROOT)
    return out


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def make_shared_mini(layout: str, samples: Path, out: Path) -> Path:
    """Assemble the mini dataset of ``layout`` from the real sample files.

    Args:
        layout: ``coco``, ``posetrack18`` or ``mpii``.
        samples: ``../shared/data/mmpose_samples``.
        out: Dataset root to create.

    The samples have one split; it serves as train and val (the annotation files are copies).

    Returns:
        ``out``.
    """
    out.mkdir(parents=True, exist_ok=True)
    if layout == 'coco':
        src = samples / 'coco'
        for split in ('train', 'val'):
            _copy(src / 'test_coco.json', out / 'annotations' / f'person_keypoints_{split}2017.json')
            for img in src.glob('*.jpg'):
                _copy(img, out / f'{split}2017' / img.name)
        from plugins.datasets.synthetic.layouts import COCO_DET_FILE
        _copy(src / 'test_coco_det_AP_H_56.json', out / COCO_DET_FILE)
    elif layout == 'posetrack18':
        src = samples / 'posetrack18'
        from plugins.datasets.synthetic.layouts import POSETRACK18_DET_FILE
        for split in ('train', 'val'):
            _copy(src / 'annotations' / 'test_posetrack18_val.json',
                  out / 'annotations' / f'posetrack18_{split}.json')
            for f in (src / 'annotations' / 'val').glob('*.json'):
                _copy(f, out / 'annotations' / split / f.name)
        shutil.copytree(src / 'images', out / 'images', dirs_exist_ok=True)
        _copy(src / 'annotations' / 'test_posetrack18_human_detections.json',
              out / POSETRACK18_DET_FILE)
    elif layout == 'mpii':
        src = samples / 'mpii'
        entries = json.loads((src / 'test_mpii.json').read_text())
        for split in ('train', 'val'):
            _copy(src / 'test_mpii.json', out / 'annotations' / f'mpii_{split}.json')
        for img in src.glob('*.jpg'):
            _copy(img, out / 'images' / img.name)
        # the samples have no head boxes: a square on the head-top / upper-neck segment
        # (MPII joints 9 and 8) of side 1/0.6 of its length, so mmpose's head size
        # (0.6 x box diagonal) is sqrt(2) x the segment
        heads = []
        for e in entries:
            j = np.asarray(e['joints'], np.float64)
            c = (j[9] + j[8]) / 2
            half = np.linalg.norm(j[9] - j[8]) / 0.6 / 2
            heads.append([c[0] - half, c[1] - half, c[0] + half, c[1] + half])
        from plugins.datasets.synthetic.layouts import write_mpii_gt_mat
        write_mpii_gt_mat(out / 'annotations' / 'mpii_gt_val.mat', entries,
                          np.asarray(heads, np.float64))
    else:
        raise ValueError(f'no shared samples for layout {layout!r}')
    return out

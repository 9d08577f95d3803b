"""``tools/test.py`` on the project's synthetic top-down configs prints PoseTrack mAP itself (the
configs' ``PoseTrackMetric(gt_dir=...)``), equal to scoring its ``--out`` dump against the
per-video ground truth grouped here by hand."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.fileio import load
from mmengine.registry import init_default_scope

from mmpose.registry import MODELS
from plugins.datasets.posetrack_json import load_posetrack_folder
from plugins.evaluation import PoseTrackMetric, frame_to_data_sample

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'projects' / 'flowing_convnets' / 'configs'


@pytest.mark.parametrize('name', ['heatmapnet_res18-half_synthetic-128x96.py',
                                  'flowing-convnet_res18-half_synthetic-128x96.py'])
def test_tools_test_prints_posetrack_map(name, tiny_video_root, repo_root, tmp_path):
    cfg = Config.fromfile(str(CONFIG_DIR / name))
    init_default_scope('mmpose')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    ckpt = tmp_path / 'model.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)

    root = tiny_video_root
    opts = [f'test_dataloader.dataset.data_root={root}/',
            'test_dataloader.dataset.ann_file=annotations/val.json',
            'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
            f'test_evaluator.0.gt_dir={root}/annotations/val',
            f'test_evaluator.1.ann_file={root}/annotations/val.json']
    if 'video_ann_dir' in cfg.test_dataloader.dataset:
        opts.append('test_dataloader.dataset.video_ann_dir=annotations/val')
    dump = tmp_path / 'preds.pkl'
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', str(CONFIG_DIR / name), str(ckpt), '--work-dir',
         str(tmp_path), '--out', str(dump), '--cfg-options', *opts],
        cwd=repo_root, capture_output=True, text=True, timeout=600)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-4000:]
    printed = {k: float(v) for k, v in re.findall(r'posetrack/(\w+): (-?[0-9.]+)', text)}
    assert {'mAP', 'AP_Head', 'AP_Ankle'} <= set(printed), text[-3000:]
    assert re.search(r'coco/AP: [0-9.]+', text)

    # reference: the dumped per-person predictions grouped by image id by hand, whole frames
    preds = load(str(dump))
    assert len(preds) == 10  # 5 frames x 2 persons
    by_image = {}
    for p in preds:
        inst = p['pred_instances']
        by_image.setdefault(int(p['img_id']), []).append(
            (np.asarray(inst['keypoints'])[..., :2], np.asarray(inst['keypoint_scores'])))
    samples = []
    for video in load_posetrack_folder(root / 'annotations' / 'val'):
        for frame in video.frames:
            items = by_image[frame.image_id]
            samples.append(frame_to_data_sample(frame, video.name, dict(
                keypoints=np.concatenate([kp for kp, _ in items]),
                keypoint_scores=np.concatenate([sc for _, sc in items]))))
    ref = PoseTrackMetric(keypoint_names=video.keypoint_names)
    ref.process(None, samples)
    expected = ref.evaluate(len(samples))
    for key in ('mAP', 'AP_Head', 'AP_Ankle'):
        # the log prints 4 decimals
        assert printed[key] == pytest.approx(expected[f'posetrack/{key}'], abs=1e-4)

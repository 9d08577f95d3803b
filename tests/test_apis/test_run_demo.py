"""tools/run_demo.py helpers: reading the metrics of tools/test.py's log, dataset options."""
import importlib.util
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_run_demo():
    spec = importlib.util.spec_from_file_location('run_demo', osp.join(ROOT, 'tools/run_demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_metrics_of_the_final_test_line():
    demo = load_run_demo()
    log = '\n'.join([
        '11/21 09:39:07 - mmengine - INFO - Epoch(test) [10/20]    eta: 0:00:01  time: 0.12',
        '11/21 09:39:08 - mmengine - INFO - Epoch(test) [20/20]    coco/bbox_mAP: 0.0120  '
        'coco/bbox_mAP_50: 0.0480  data_time: 0.0070  time: 0.1216',
        '11/21 09:39:25 - mmengine - INFO - Epoch(test) [14/14]    coco/AP: 0.197695  '
        'coco/AP .5: 0.742003  coco/AP (M): 0.165039  data_time: 0.044008  time: 0.500206'])
    assert demo.test_metrics(log) == {'coco/AP': pytest.approx(0.197695)}
    assert demo.test_metrics(log.rsplit('\n', 1)[0]) == {
        'coco/bbox_mAP': pytest.approx(0.012), 'coco/bbox_mAP_50': pytest.approx(0.048)}
    empty = '11/21 - mmengine - INFO - Epoch(test) [20/20]    data_time: 0.0156  time: 0.2388'
    assert demo.test_metrics(empty, allow_empty=True) == {}
    with pytest.raises(SystemExit, match='no test metrics'):
        demo.test_metrics(empty)


def test_data_options_split_train_and_eval_roots():
    opts = load_run_demo().data_options('/d/eval', '/d/train')
    assert 'train_dataloader.dataset.data_root=/d/train/' in opts
    assert 'test_dataloader.dataset.data_root=/d/eval/' in opts
    assert 'test_evaluator.ann_file=/d/eval/annotations/val.json' in opts

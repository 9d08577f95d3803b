"""Write every file the RMPE configs read besides the data itself, for data without a detector.

    python projects/rmpe/tools/prepare_synthetic.py data/synthetic [--seed 0]
    python projects/rmpe/tools/prepare_synthetic.py <COCO-layout root> --layout coco

``--layout synthetic`` (default), under ``DATA_ROOT/rmpe/``:

* ``val_simulated_detections.json`` -- the boxes every synthetic config evaluates on
  (``simulate_detections.py`` on ``annotations/val.json``);
* ``train_simulated_detections.json`` -- the same simulation on ``annotations/train.json``
  (another seed): the "detector outputs" the DPGs are fitted from;
* ``dpg_atomic_pose_gmm_train.json`` (``rmpe_res18-tiny_sstn-dpg-gmm_*``) and
  ``dpg_proposal_network_train.pth`` (``rmpe_res18-tiny_sstn-dpg-net_*``) --
  ``tools/analysis/fit_dpg.py`` in both modes.

``--layout coco`` (a COCO-layout folder without detections on train2017, e.g. the mini
datasets of the config harness): ``person_detection_results/train2017_simulated_detections.json``
(simulated on ``annotations/person_keypoints_train2017.json``) and from it
``dpg/dpg_train2017.json``, the DPG file of the COCO configs. Real COCO: use a detector's boxes
(``projects/rmpe/README.md``).

Each step prints the command line it stands for.
"""
import argparse
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
sys.path.insert(0, ROOT)


def _load(relative: str):
    import importlib.util
    path = osp.join(ROOT, relative)
    spec = importlib.util.spec_from_file_location(osp.splitext(osp.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='synthetic data folder (make data)')
    parser.add_argument('--layout', default='synthetic', choices=('synthetic', 'coco'))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--metainfo', default=None,
                        help='joint names (default: posetrack18 for synthetic, coco for coco)')
    parser.add_argument('--dpg-epochs', type=int, default=10)
    args = parser.parse_args(argv)
    simulate = _load('projects/rmpe/tools/simulate_detections.py').main
    fit_dpg = _load('tools/analysis/fit_dpg.py').main
    if args.layout == 'coco':
        ann = osp.join(args.data_root, 'annotations', 'person_keypoints_train2017.json')
        dets = osp.join(args.data_root, 'person_detection_results',
                        'train2017_simulated_detections.json')
        dpg = osp.join(args.data_root, 'dpg', 'dpg_train2017.json')
        os.makedirs(osp.dirname(dpg), exist_ok=True)
        steps = [(simulate, 'projects/rmpe/tools/simulate_detections.py',
                  [ann, dets, '--seed', str(args.seed + 1)]),
                 (fit_dpg, 'tools/analysis/fit_dpg.py',
                  [ann, '--detections', dets, '--metainfo',
                   args.metainfo or 'configs/_base_/datasets/coco.py', '--seed', str(args.seed),
                   '--out', dpg])]
        for fn, tool, argv_ in steps:
            print('python', tool, ' '.join(argv_), flush=True)
            fn(argv_)
        return dict(train_dets=dets, gmm=dpg)
    args.metainfo = args.metainfo or 'configs/_base_/datasets/posetrack18.py'
    out = osp.join(args.data_root, 'rmpe')
    os.makedirs(out, exist_ok=True)
    files = dict(
        val_dets=osp.join(out, 'val_simulated_detections.json'),
        train_dets=osp.join(out, 'train_simulated_detections.json'),
        gmm=osp.join(out, 'dpg_atomic_pose_gmm_train.json'),
        net=osp.join(out, 'dpg_proposal_network_train.pth'))
    steps = [
        (simulate, [osp.join(args.data_root, 'annotations', 'val.json'), files['val_dets'],
                    '--seed', str(args.seed)]),
        (simulate, [osp.join(args.data_root, 'annotations', 'train.json'), files['train_dets'],
                    '--seed', str(args.seed + 1)]),
    ]
    fit = [osp.join(args.data_root, 'annotations', 'train.json'), '--detections',
           files['train_dets'], '--metainfo', args.metainfo, '--seed', str(args.seed)]
    steps.append((fit_dpg, fit + ['--mode', 'atomic_pose_gmm', '--out', files['gmm']]))
    steps.append((fit_dpg, fit + ['--mode', 'proposal_network', '--epochs',
                                  str(args.dpg_epochs), '--out', files['net']]))
    for fn, argv_ in steps:
        tool = ('projects/rmpe/tools/simulate_detections.py' if fn is simulate else
                'tools/analysis/fit_dpg.py')
        print('python', tool, ' '.join(argv_), flush=True)
        fn(argv_)
    return files


if __name__ == '__main__':
    main()

"""Evaluate a checkpoint (MMPose's command-line interface).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl]
                         [--show-dir DIR] [--show] [--cfg-options k=v ...]
                         [--launcher none|pytorch|slurm]

The checkpoint is loaded strictly: a checkpoint that does not fit the model fails with the
missing / unexpected / mismatched keys named (``--non-strict`` only warns, as mmengine does).
Configs that define ``tracking_pipeline`` (video pose tracking) are run through the pipeline on
their video sequence dataset and report PoseTrack mAP and MOTA; under ``--launcher pytorch``
(torchrun, ``dist_test.sh``) or ``--launcher slurm`` the videos are sharded over the ranks and
the metrics computed once on the gathered predictions (identical to one process).
``--device`` puts every model of a tracking pipeline on that device.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone too

from plugins.utils.cli import (add_common_args, apply_common_args,  # noqa: E402
                               close_distributed, init_cpu_distributed,
                               init_tracking_distributed, load_config)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a pose / detection model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file ("none" for a tracking config '
                        'whose pipeline names its own checkpoints)')
    parser.add_argument('--work-dir', help='the dir to save evaluation results')
    parser.add_argument('--out', help='dump predictions to a pickle file (.pkl/.pickle)')
    parser.add_argument('--show-dir', help='save visualisations to this dir (inside work dir)')
    parser.add_argument('--show', action='store_true', help='display visualisations')
    parser.add_argument('--interval', type=int, default=1, help='visualisation interval')
    parser.add_argument('--wait-time', type=float, default=1, help='display wait time (s)')
    parser.add_argument('--device', help='torch device of every model of a tracking pipeline '
                        '(e.g. cuda:0; default: the config\'s)')
    parser.add_argument('--non-strict', action='store_true',
                        help='load the checkpoint non-strictly (warn on mismatched keys)')
    add_common_args(parser)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Apply the test-specific command-line options to the config."""
    apply_common_args(cfg, args)
    cfg.load_from = None  # loaded explicitly (strictly) in main()
    cfg.resume = False
    if args.show or args.show_dir:
        hooks = cfg.default_hooks
        if 'visualization' not in hooks:
            raise KeyError('--show/--show-dir need a "visualization" hook in default_hooks')
        hooks.visualization.enable = True
        hooks.visualization.show = args.show
        hooks.visualization.wait_time = args.wait_time
        hooks.visualization.out_dir = args.show_dir
        hooks.visualization.interval = args.interval
    if args.out:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must be a .pkl or .pickle file, got {args.out}')
        dump = dict(type='DumpResults', out_file_path=args.out)
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, (list, tuple)):
            cfg.test_evaluator = [*evaluator, dump]
        else:
            cfg.test_evaluator = [evaluator, dump]
    return cfg


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = merge_args(load_config(args.config, args.cfg_options), args)
    if cfg.get('tracking_pipeline') is not None:
        from plugins.apis import run_tracking_test
        init_tracking_distributed(args.launcher)
        try:
            return run_tracking_test(cfg, args)
        finally:
            close_distributed()
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    from plugins.utils.mmcv_ops import check_mmcv_ops_for_device, default_train_device
    check_mmcv_ops_for_device(default_train_device(), where=args.config)
    init_cpu_distributed(cfg)
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    runner.load_checkpoint(args.checkpoint, map_location='cpu', strict=not args.non_strict)
    try:
        return runner.test()
    finally:
        del runner  # the DDP wrapper's process group must go while the interpreter is alive
        close_distributed()


if __name__ == '__main__':
    main()

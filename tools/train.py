"""Train a model from a config (MMPose's command-line interface).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
                          [--cfg-options k=v ...] [--launcher none|pytorch|slurm]

``import plugins`` registers every component of the project, so configs may name them whether
or not they list ``custom_imports``.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone too

from plugins.utils.cli import (add_common_args, apply_common_args,  # noqa: E402
                               close_distributed, init_cpu_distributed,
                               load_config)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a pose / detection model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest one in the work dir '
        'when no path is given')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate checkpoints during training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the actual batch size')
    parser.add_argument('--show-dir', help='save validation visualisations to this dir')
    parser.add_argument('--show', action='store_true', help='display validation visualisations')
    parser.add_argument('--interval', type=int, default=1, help='visualisation interval')
    parser.add_argument('--wait-time', type=float, default=1, help='display wait time (s)')
    add_common_args(parser)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Apply the train-specific command-line options to the config."""
    apply_common_args(cfg, args)
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    if args.amp:
        from mmengine.optim import AmpOptimWrapper, OptimWrapper  # noqa: F401
        opt_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if opt_type == 'AmpOptimWrapper':
            print('AMP training is already enabled in the config.')
        else:
            if opt_type != 'OptimWrapper':
                raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, got {opt_type}')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        cfg.setdefault('auto_scale_lr', dict(base_batch_size=256))
        cfg.auto_scale_lr.enable = True
    if args.show or args.show_dir:
        hooks = cfg.default_hooks
        if 'visualization' not in hooks:
            raise KeyError('--show/--show-dir need a "visualization" hook in default_hooks')
        hooks.visualization.enable = True
        hooks.visualization.show = args.show
        hooks.visualization.wait_time = args.wait_time
        hooks.visualization.out_dir = args.show_dir
        hooks.visualization.interval = args.interval
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = merge_args(load_config(args.config, args.cfg_options), args)
    # mmengine's runner trains on the GPU whenever torch sees one: with CPU-only mmcv ops, stop
    # here with the rebuild command instead of failing inside an mmcv op later
    from plugins.utils.mmcv_ops import check_mmcv_ops_for_device, default_train_device
    check_mmcv_ops_for_device(default_train_device(), where=args.config)
    init_cpu_distributed(cfg)
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    try:
        runner.train()
    finally:
        del runner  # the DDP wrapper's process group must go while the interpreter is alive
        close_distributed()


if __name__ == '__main__':
    main()

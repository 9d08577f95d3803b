"""Command-line helpers shared by ``tools/train.py`` and ``tools/test.py``."""
import argparse
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config, DictAction


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--cfg-options``, ``--launcher`` and ``--local_rank`` (MMPose's CLI)."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, e.g. train_cfg.max_epochs=2 '
        'model.backbone.depth=18 (lists: key="[a,b]")')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher (pytorch = torchrun / tools/dist_train.sh)')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config (``mmpose::``/``mmdet::`` bases allowed) and apply ``--cfg-options``.

    Raises:
        FileNotFoundError: naming the config path when it does not exist.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    import plugins  # noqa: F401  (registers components, checkpoint safe globals)
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def apply_common_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Set ``work_dir`` (CLI > config > ``work_dirs/<config name>``) and the launcher."""
    if getattr(args, 'work_dir', None):
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.launcher = args.launcher
    if args.launcher != 'none':
        import torch
        cfg.setdefault('env_cfg', {})
        dist_cfg = dict(cfg.env_cfg.get('dist_cfg', {}))
        if not torch.cuda.is_available():
            # CPU-only: gloo, and DDP without device ids
            dist_cfg['backend'] = 'gloo'
            if cfg.get('model_wrapper_cfg') is None:
                cfg.model_wrapper_cfg = dict(
                    type='MMDistributedDataParallel', device_ids=None,
                    find_unused_parameters=cfg.get('find_unused_parameters', False))
        cfg.env_cfg['dist_cfg'] = dist_cfg
    return cfg


def init_cpu_distributed(cfg: Config) -> None:
    """Join the process group with gloo when launched by torchrun on a machine without CUDA.

    mmengine's ``init_dist('pytorch')`` always calls ``torch.cuda.set_device``; the runner skips
    it when a process group already exists, so on CPU the group is created here first.
    """
    import torch
    import torch.distributed as dist
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return
    if dist.is_available() and not dist.is_initialized():
        missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
                   if k not in os.environ]
        if missing:
            raise RuntimeError(f'--launcher pytorch needs the torchrun environment; missing '
                               f'{missing} (use tools/dist_train.sh or torchrun)')
        timeout = cfg.env_cfg.get('dist_cfg', {}).get('timeout')
        kwargs = {} if timeout is None else dict(timeout=timeout)
        dist.init_process_group(backend='gloo', **kwargs)


def close_distributed() -> None:
    """Leave the process group cleanly: a gloo group whose last reference (e.g. a
    ``DistributedDataParallel`` reducer's) is dropped during interpreter finalisation can abort
    the process (``terminate called without an active exception``) after the work is done. The
    caller drops its runner first; the garbage collection here releases what is left, so the
    group dies in :func:`destroy_process_group`, with the interpreter alive.
    """
    import gc

    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        gc.collect()
        dist.barrier()
        dist.destroy_process_group()
        gc.collect()


def init_tracking_distributed(launcher: str) -> None:
    """Join the process group of a tracking run (``tools/test.py`` on a tracking config).

    ``'pytorch'`` (torchrun, ``dist_test.sh``) reads ``RANK`` / ``WORLD_SIZE`` /
    ``MASTER_ADDR`` / ``MASTER_PORT``; ``'slurm'`` (``srun``) derives them from
    ``SLURM_PROCID`` / ``SLURM_NTASKS`` / ``SLURM_NODELIST`` (``MASTER_PORT`` default 29500).
    With CUDA mmengine's ``init_dist`` is used (NCCL); without, a gloo group.

    Raises:
        RuntimeError: the launcher's environment variables are missing.
    """
    import torch
    import torch.distributed as dist
    if launcher == 'none' or (dist.is_available() and dist.is_initialized()):
        return
    if torch.cuda.is_available():
        from mmengine.dist import init_dist
        init_dist(launcher)
        return
    if launcher == 'slurm':
        missing = [k for k in ('SLURM_PROCID', 'SLURM_NTASKS') if k not in os.environ]
        if missing:
            raise RuntimeError(f'--launcher slurm needs srun\'s environment; missing {missing}')
        os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
        os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
        os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
        os.environ.setdefault('MASTER_PORT', '29500')
        if 'MASTER_ADDR' not in os.environ:
            import subprocess
            nodes = os.environ.get('SLURM_NODELIST', '127.0.0.1')
            try:
                first = subprocess.check_output(['scontrol', 'show', 'hostnames', nodes],
                                                text=True).split()[0]
            except (OSError, subprocess.CalledProcessError, IndexError):
                first = nodes.split(',')[0]
            os.environ['MASTER_ADDR'] = first
    elif launcher != 'pytorch':
        raise ValueError(f'tracking runs support --launcher none|pytorch|slurm, got {launcher}')
    missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
               if k not in os.environ]
    if missing:
        raise RuntimeError(f'--launcher {launcher} needs the launcher environment; missing '
                           f'{missing} (use torchrun / tools/dist_test.sh or srun)')
    dist.init_process_group(backend='gloo')

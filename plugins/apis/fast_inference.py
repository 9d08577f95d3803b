"""Inference-only rewrites of a model that keep its arithmetic (up to float rounding).

Used by the model stages of the video pipeline (:class:`~plugins.apis.MMPoseTopdownEstimator`,
:class:`~plugins.apis.MMDetPersonDetector`):

- ``fuse_conv_bn``: mmcv's :func:`mmcv.cnn.fuse_conv_bn` folds every eval-mode batch norm
  that follows a convolution into it (``w' = w * gamma / sqrt(var + eps)``, ``b' = (b - mean)
  * gamma / sqrt(var + eps) + beta``): one kernel instead of two per layer.
- ``channels_last``: the weights in NHWC memory format, so oneDNN (CPU) and cuDNN pick their
  NHWC kernels and activations stay NHWC from layer to layer.
- ``trace``: ``model.extract_feat`` (backbone + neck: tensors in, tensors out) and, for
  single-stage detectors, the dense head's ``forward`` replaced by ``torch.jit.trace``
  graphs, made once per input shape / dtype / device (one shape per video for a detector):
  the same operators without the Python module machinery, which dominates small models on
  CPU (the demo detector: ~1,500 module calls per frame). Bit-identical to the eager model
  (tested). Off for the pose model (its batch size changes from frame to frame).

The first two compute the same function in another order: outputs differ by float rounding
(about 1e-7 relative for channels-last alone, 1e-6 with fusion, measured on the demo models),
so decoded keypoints and boxes are equal except where two candidate values tie at that
precision. Measured on one CPU thread: demo pose model, 20 crops: 178 ms (as loaded) -> 110
ms (channels-last) -> 66 ms (both; batch norms under channels-last are slow on CPU unless
fused); demo detector backbone + neck, one 192x160 frame: 14.7 ms fused + channels-last
-> 7.7 ms traced.
"""
import warnings
from typing import Callable, Dict, Tuple

import torch

__all__ = ['optimize_for_inference', 'TracedFunction', 'fuse_deconv_bn', 'unshare_convolutions']


class TracedFunction:
    """``fn(x)`` of a tensor (or a tuple/list of tensors), run through a TorchScript trace
    made once per input layout (the same operators in the same order: bit-identical).

    Args:
        fn: a function of one tensor or one tuple/list of tensors, returning tensors (nested
            tuples/lists allowed), without data-dependent control flow: a backbone + neck
            (``model.extract_feat``) or a dense detection head's ``forward``.
        max_traces: most input layouts kept (the oldest is dropped first).
    """

    def __init__(self, fn: Callable[[torch.Tensor], object], max_traces: int = 4) -> None:
        self.fn = fn
        self.max_traces = int(max_traces)
        self._traces: Dict[Tuple, torch.jit.ScriptModule] = {}

    @staticmethod
    def _key(x) -> Tuple:
        if isinstance(x, (list, tuple)):
            return (type(x).__name__, ) + tuple(TracedFunction._key(t) for t in x)
        layout = 'cl' if x.dim() == 4 and x.is_contiguous(
            memory_format=torch.channels_last) and not x.is_contiguous() else 'c'
        return tuple(x.shape), x.dtype, str(x.device), layout

    @staticmethod
    def _traceable(x) -> bool:
        if isinstance(x, (list, tuple)):
            return len(x) > 0 and all(isinstance(t, torch.Tensor) for t in x)
        return isinstance(x, torch.Tensor)

    def __call__(self, x):
        if torch.is_grad_enabled() or not self._traceable(x):
            return self.fn(x)  # training / gradients / other inputs: the eager function
        key = self._key(x)
        traced = self._traces.get(key)
        if traced is None:
            traced = self._trace(x)
            if len(self._traces) >= self.max_traces:
                self._traces.pop(next(iter(self._traces)))
            self._traces[key] = traced
        out = traced(tuple(x) if isinstance(x, list) else x)
        return _as_tuples(out)

    def _trace(self, x) -> torch.jit.ScriptModule:
        # not torch.jit.freeze'd: freezing folds constants and changes float rounding
        fn = self.fn

        class _Wrapper(torch.nn.Module):
            def __init__(self, module):
                super().__init__()
                self.module = module  # registers the parameters for freezing

            def forward(self, inputs):
                return fn(list(inputs) if as_list else inputs)

        as_list = isinstance(x, list)
        if as_list:
            x = tuple(x)
        owner = getattr(fn, '__self__', None)
        wrapper = _Wrapper(owner if isinstance(owner, torch.nn.Module) else torch.nn.Module())
        with torch.no_grad(), warnings.catch_warnings():
            # shape-dependent Python values are expected: one trace per input layout
            warnings.simplefilter('ignore', torch.jit.TracerWarning)
            traced = torch.jit.trace(wrapper.eval(), (x, ), check_trace=False, strict=False)
            return traced


def _as_tuples(out):
    if isinstance(out, (list, tuple)):
        return tuple(_as_tuples(o) for o in out)
    return out


def fuse_deconv_bn(module: torch.nn.Module) -> torch.nn.Module:
    """Fold a ``BatchNorm2d`` that directly follows a ``ConvTranspose2d`` (sibling modules in
    registration order, ``groups=1``) into it, like :func:`mmcv.cnn.fuse_conv_bn` does for
    ``Conv2d`` (e.g. the deconvolution layers of mmpose's ``HeatmapHead``). In place.

    The transposed convolution's weight is ``(in, out, kh, kw)``: output channel ``o`` is
    scaled by ``gamma[o] / sqrt(var[o] + eps)``.
    """
    last, last_name = None, None
    for name, child in module.named_children():
        if isinstance(child, torch.nn.BatchNorm2d) and last is not None:
            if last.groups == 1 and child.track_running_stats:
                with torch.no_grad():
                    std = (child.running_var + child.eps).sqrt()
                    factor = (child.weight if child.affine else torch.ones_like(std)) / std
                    shift = child.bias if child.affine else torch.zeros_like(std)
                    bias = last.bias if last.bias is not None else torch.zeros_like(std)
                    fused = torch.nn.ConvTranspose2d(
                        last.in_channels, last.out_channels, last.kernel_size, last.stride,
                        last.padding, last.output_padding, last.groups, True, last.dilation,
                        last.padding_mode).to(last.weight.device, last.weight.dtype)
                    fused.weight.copy_(last.weight * factor.view(1, -1, 1, 1))
                    fused.bias.copy_((bias - child.running_mean) * factor + shift)
                module._modules[last_name] = fused
                module._modules[name] = torch.nn.Identity()
            last = None
        elif isinstance(child, torch.nn.ConvTranspose2d):
            last, last_name = child, name
        else:
            last = None
            fuse_deconv_bn(child)
    return module


def unshare_convolutions(module: torch.nn.Module) -> torch.nn.Module:
    """Give every place that holds a convolution shared with another place its own copy. In
    place; for inference (the copies are no longer tied).

    Fusion folds a batch norm into the convolution before it by changing that convolution's
    weights in place (mmcv's ``fuse_conv_bn``): a convolution shared by several batch norms
    (e.g. RTMDet's ``RTMDetSepBNHead(share_conv=True)``: one convolution per stage for all
    feature levels, a batch norm per level) would get every level's statistics folded into it
    one after the other. Unshared first, each level keeps its own fused copy.
    """
    import copy
    seen = set()
    for parent in list(module.modules()):
        for name, child in list(parent._modules.items()):
            if not isinstance(child, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
                continue
            if id(child) in seen:
                parent._modules[name] = copy.deepcopy(child)
            else:
                seen.add(id(child))
    return module


def optimize_for_inference(model: torch.nn.Module, channels_last: bool = True,
                           fuse_conv_bn: bool = True, trace: bool = False) -> torch.nn.Module:
    """Fuse batch norms, switch to channels-last weights and/or trace ``extract_feat``.

    Args:
        model: an eval-mode model (fusing uses the running statistics).
        channels_last: convert 4-D parameters and buffers to ``torch.channels_last``.
        fuse_conv_bn: fold ``BatchNorm`` layers that follow a convolution into it.
        trace: replace ``model.extract_feat`` (if it has one) by a :class:`TracedFunction`
            of it (used without gradients only; with gradients the eager one runs).

    Returns:
        The model (changed in place), for chaining.
    """
    if model.training:
        raise ValueError('optimize_for_inference: the model is in training mode; call '
                         '.eval() first (fusing uses the batch norms\' running statistics)')
    if fuse_conv_bn:
        from mmcv.cnn import fuse_conv_bn as fuse
        model = fuse_deconv_bn(fuse(unshare_convolutions(model)))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    if trace:
        if callable(getattr(model, 'extract_feat', None)):
            model.extract_feat = TracedFunction(model.extract_feat)
        head = getattr(model, 'bbox_head', None)
        try:
            from mmdet.models.dense_heads.base_dense_head import BaseDenseHead
        except ImportError:  # pragma: no cover - mmdet is part of the stack
            BaseDenseHead = ()
        if isinstance(head, BaseDenseHead):  # single-stage detectors: feats -> maps
            head.forward = TracedFunction(head.forward)
    return model

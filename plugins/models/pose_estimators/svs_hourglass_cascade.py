"""2-stack hourglass cascade with SVS privileged supervision (Zhou, Deng, Zafeiriou)."""
from copy import deepcopy
from typing import Optional, Sequence, Tuple

from mmcv.cnn import ConvModule
from mmpose.models.backbones.hourglass import HourglassModule
from mmpose.models.backbones.resnet import BasicBlock, ResLayer
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig, SampleList
from torch import Tensor, nn


@MODELS.register_module()
class SVSHourglassCascade(TopdownPoseEstimator):
    """Top-down pose estimator: stack 1 regresses SVS maps, stack 2 keypoint heatmaps.

    ``backbone`` (any mmpose backbone, e.g. a ResNet cut after its first stage) gives the
    image features at the heatmap resolution. Two hourglasses are then built from mmpose's
    hourglass building blocks (``HourglassModule``, ``ResLayer`` of ``BasicBlock``,
    ``ConvModule``) and wired like mmpose's ``HourglassNet``, except that stack 2's input also
    receives stack 1's *prediction*:

    ``x = adapter(backbone(img)[-1])``; ``f1 = out_conv1(hourglass1(x))``;
    ``p1 = stack1_head(f1)``;
    ``f2 = out_conv2(hourglass2(inter(relu(conv1x1(x) + remap_feat(f1) + remap_pred(p1)))))``.

    With ``svs_supervision=True`` stack 1's head is ``svs_head`` (smooth-L1 on SVS maps, the
    paper's privileged intermediate supervision); with ``False`` it is a copy of the keypoint
    ``head`` (heatmap intermediate supervision: the plain 2-stack hourglass baseline of the
    ablation; ``svs_head`` is then ignored). ``head`` regresses stack 2's keypoint heatmaps;
    prediction (and ``mode='tensor'``) returns only stack 2's keypoints / heatmaps, the SVS
    branch being computed internally.

    Args:
        backbone: config of the image-feature backbone.
        head: keypoint head of stack 2 (e.g. ``HeatmapHead`` without deconvs).
        svs_head: SVS head of stack 1 (e.g. ``SVSHead``); required if ``svs_supervision``.
        in_channels: channels of the backbone's last output.
        downsample_times: depth of each hourglass (the heatmap size must be divisible by
            ``2 ** downsample_times``).
        stage_channels: channels of each hourglass level (``len > downsample_times``).
        stage_blocks: residual blocks of each level.
        feat_channels: channels of each stack's output features (the heads' input).
        svs_supervision: see above.
        norm_cfg: normalisation of the hourglass layers.
        train_cfg, test_cfg, data_preprocessor, init_cfg, metainfo: as ``TopdownPoseEstimator``.
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 svs_head: OptConfigType = None,
                 in_channels: int = 256,
                 downsample_times: int = 4,
                 stage_channels: Sequence[int] = (256, 256, 256, 256, 256),
                 stage_blocks: Sequence[int] = (2, 2, 2, 2, 2),
                 feat_channels: int = 256,
                 svs_supervision: bool = True,
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=True),
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 metainfo: Optional[dict] = None) -> None:
        super().__init__(backbone=backbone, head=head, train_cfg=train_cfg, test_cfg=test_cfg,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg,
                         metainfo=metainfo)
        if len(stage_channels) != len(stage_blocks) or len(stage_channels) <= downsample_times:
            raise ValueError('SVSHourglassCascade: stage_channels and stage_blocks need the same '
                             f'length, greater than downsample_times={downsample_times}; got '
                             f'{tuple(stage_channels)} and {tuple(stage_blocks)}')
        self.svs_supervision = bool(svs_supervision)
        if self.svs_supervision:
            if svs_head is None:
                raise ValueError('SVSHourglassCascade: svs_supervision=True needs svs_head')
            self.stack1_head = MODELS.build(svs_head)
        else:
            self.stack1_head = MODELS.build(deepcopy(head))
        self.stack1_head.test_cfg = self.test_cfg.copy()
        self.downsample_times = int(downsample_times)
        cur = int(stage_channels[0])
        self.adapter = (nn.Identity() if in_channels == cur else
                        ConvModule(in_channels, cur, 1, norm_cfg=norm_cfg))
        self.hourglass_modules = nn.ModuleList([
            HourglassModule(downsample_times, list(stage_channels), list(stage_blocks),
                            norm_cfg=norm_cfg) for _ in range(2)
        ])
        self.out_convs = nn.ModuleList([
            ConvModule(cur, feat_channels, 3, padding=1, norm_cfg=norm_cfg) for _ in range(2)
        ])
        self.conv1x1 = ConvModule(cur, cur, 1, norm_cfg=norm_cfg, act_cfg=None)
        self.remap_feat = ConvModule(feat_channels, cur, 1, norm_cfg=norm_cfg, act_cfg=None)
        self.remap_pred = ConvModule(self.stack1_head.out_channels, cur, 1, norm_cfg=norm_cfg,
                                     act_cfg=None)
        self.inter = ResLayer(BasicBlock, 1, cur, cur, norm_cfg=norm_cfg)
        self.relu = nn.ReLU(inplace=True)

    def forward_stacks(self, inputs: Tensor) -> Tuple[Tensor, Tuple[Tensor], Tuple[Tensor]]:
        """Run the backbone and both stacks.

        Args:
            inputs: (B, 3, H, W) images.

        Returns:
            ``(stack1_pred, stack1_feats, stack2_feats)``: stack 1's prediction (SVS maps or
            heatmaps) and the one-level feature tuples of both stacks.
        """
        x = self.adapter(self.backbone(inputs)[-1])
        step = 2**self.downsample_times
        if x.shape[-2] % step or x.shape[-1] % step:
            raise ValueError(f'SVSHourglassCascade: feature map {tuple(x.shape[-2:])} is not '
                             f'divisible by 2**downsample_times={step} (change the input size '
                             'or downsample_times)')
        feat1 = self.out_convs[0](self.hourglass_modules[0](x))
        pred1 = self.stack1_head.forward((feat1, ))
        inter = self.inter(self.relu(self.conv1x1(x) + self.remap_feat(feat1) +
                                     self.remap_pred(pred1)))
        feat2 = self.out_convs[1](self.hourglass_modules[1](inter))
        return pred1, (feat1, ), (feat2, )

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor]:
        """Stack 2's features (what the keypoint head, ``predict`` and ``tensor`` mode use)."""
        return self.forward_stacks(inputs)[2]

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Stack 1 loss (``loss_svs``, or ``*_stack1`` heatmap loss) + stack 2 keypoint loss.

        Args:
            inputs: (B, 3, H, W) images.
            data_samples: samples with the keypoint targets (and the SVS targets when
                ``svs_supervision``).

        Returns:
            dict of losses (and ``acc_pose``).
        """
        pred1, feats1, feats2 = self.forward_stacks(inputs)
        losses = dict()
        if self.svs_supervision and hasattr(self.stack1_head, 'loss_by_output'):
            losses.update(self.stack1_head.loss_by_output(pred1, data_samples))
        elif self.svs_supervision:
            losses.update(self.stack1_head.loss(feats1, data_samples, train_cfg=self.train_cfg))
        else:
            stack1 = self.stack1_head.loss(feats1, data_samples, train_cfg=self.train_cfg)
            losses.update({f'{k}_stack1': v for k, v in stack1.items()})
        losses.update(self.head.loss(feats2, data_samples, train_cfg=self.train_cfg))
        return losses

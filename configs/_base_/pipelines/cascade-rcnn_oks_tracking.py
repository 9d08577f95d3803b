# As topdown_oks_tracking.py with the Cascade R-CNN R101-FPN person detector of mmdet's zoo.
_base_ = ['./topdown_oks_tracking.py']
tracking_pipeline = dict(
    detector=dict(
        config='mmdet::cascade_rcnn/cascade-rcnn_r101_fpn_1x_coco.py',
        checkpoint='https://download.openmmlab.com/mmdetection/v2.0/cascade_rcnn/'
        'cascade_rcnn_r101_fpn_1x_coco/cascade_rcnn_r101_fpn_1x_coco_20200317-0b6a2fbf.pth'))

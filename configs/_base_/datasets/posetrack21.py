# PoseTrack21 (Doering, Chen, Gall et al., CVPR 2022): the PoseTrack18 keypoint layout (17 names
# in the same order; the ears are never annotated, so 15 joints are scored), with per-person
# `person_id`s across videos and boxes for small persons without keypoints. The keypoint, skeleton,
# joint-weight and sigma entries are mmpose's PoseTrack18 metainfo, inherited unchanged.
_base_ = ['mmpose::_base_/datasets/posetrack18.py']

dataset_info = dict(
    dataset_name='posetrack21',
    paper_info=dict(
        author='Doering, Andreas and Chen, Di and Zhang, Shanshan and Schiele, Bernt and '
        'Gall, Juergen',
        title='PoseTrack21: A Dataset for Person Search, Multi-Object Tracking and '
        'Multi-Person Pose Tracking',
        container='Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern '
        'Recognition',
        year='2022',
        homepage='https://github.com/anDoer/PoseTrack21',
    ))

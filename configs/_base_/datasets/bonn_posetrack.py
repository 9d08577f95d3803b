# Bonn Multi-Person PoseTrack (Iqbal, Milan, Gall, CVPR 2017): the 14 annotated MPII joints,
# named and ordered like PoseTrack18 (a subset of it: no nose and ears), so layouts can be matched
# by name. 'head_bottom' is MPII's upper neck (id 8), 'head_top' MPII's head top (id 9).
# Colours/types follow mmpose's posetrack18 metainfo; sigmas and joint weights are PoseTrack18's
# values of the same joints.
dataset_info = dict(
    dataset_name='bonn_posetrack',
    paper_info=dict(
        author='Iqbal, Umar and Milan, Anton and Gall, Juergen',
        title='PoseTrack: Joint Multi-Person Pose Estimation and Tracking',
        container='Proceedings of the IEEE Conference on Computer Vision and Pattern '
        'Recognition',
        year='2017',
        homepage='https://github.com/iqbalu/PoseTrack-CVPR2017',
    ),
    keypoint_info={
        0: dict(name='head_bottom', id=0, color=[51, 153, 255], type='upper', swap=''),
        1: dict(name='head_top', id=1, color=[51, 153, 255], type='upper', swap=''),
        2: dict(name='left_shoulder', id=2, color=[0, 255, 0], type='upper',
                swap='right_shoulder'),
        3: dict(name='right_shoulder', id=3, color=[255, 128, 0], type='upper',
                swap='left_shoulder'),
        4: dict(name='left_elbow', id=4, color=[0, 255, 0], type='upper', swap='right_elbow'),
        5: dict(name='right_elbow', id=5, color=[255, 128, 0], type='upper', swap='left_elbow'),
        6: dict(name='left_wrist', id=6, color=[0, 255, 0], type='upper', swap='right_wrist'),
        7: dict(name='right_wrist', id=7, color=[255, 128, 0], type='upper', swap='left_wrist'),
        8: dict(name='left_hip', id=8, color=[0, 255, 0], type='lower', swap='right_hip'),
        9: dict(name='right_hip', id=9, color=[255, 128, 0], type='lower', swap='left_hip'),
        10: dict(name='left_knee', id=10, color=[0, 255, 0], type='lower', swap='right_knee'),
        11: dict(name='right_knee', id=11, color=[255, 128, 0], type='lower', swap='left_knee'),
        12: dict(name='left_ankle', id=12, color=[0, 255, 0], type='lower',
                 swap='right_ankle'),
        13: dict(name='right_ankle', id=13, color=[255, 128, 0], type='lower',
                 swap='left_ankle'),
    },
    skeleton_info={
        0: dict(link=('left_ankle', 'left_knee'), id=0, color=[0, 255, 0]),
        1: dict(link=('left_knee', 'left_hip'), id=1, color=[0, 255, 0]),
        2: dict(link=('right_ankle', 'right_knee'), id=2, color=[255, 128, 0]),
        3: dict(link=('right_knee', 'right_hip'), id=3, color=[255, 128, 0]),
        4: dict(link=('left_hip', 'right_hip'), id=4, color=[51, 153, 255]),
        5: dict(link=('left_shoulder', 'left_hip'), id=5, color=[51, 153, 255]),
        6: dict(link=('right_shoulder', 'right_hip'), id=6, color=[51, 153, 255]),
        7: dict(link=('left_shoulder', 'right_shoulder'), id=7, color=[51, 153, 255]),
        8: dict(link=('left_shoulder', 'left_elbow'), id=8, color=[0, 255, 0]),
        9: dict(link=('right_shoulder', 'right_elbow'), id=9, color=[255, 128, 0]),
        10: dict(link=('left_elbow', 'left_wrist'), id=10, color=[0, 255, 0]),
        11: dict(link=('right_elbow', 'right_wrist'), id=11, color=[255, 128, 0]),
        12: dict(link=('head_bottom', 'head_top'), id=12, color=[51, 153, 255]),
        13: dict(link=('head_bottom', 'left_shoulder'), id=13, color=[51, 153, 255]),
        14: dict(link=('head_bottom', 'right_shoulder'), id=14, color=[51, 153, 255]),
    },
    joint_weights=[1., 1., 1., 1., 1.2, 1.2, 1.5, 1.5, 1., 1., 1.2, 1.2, 1.5, 1.5],
    sigmas=[
        0.025, 0.025, 0.079, 0.079, 0.072, 0.072, 0.062, 0.062, 0.107, 0.107, 0.087, 0.087,
        0.089, 0.089
    ])

"""posetrack-plugins: OpenMMLab plugins for multi-person pose estimation and tracking."""
from setuptools import find_packages, setup

setup(
    name='posetrack-plugins',
    version='0.1.0',
    description='MMPose/MMDetection plugins: SVS cascade, RMPE, keypoint correspondences, '
    'flowing convnets, PoseTrack evaluation and tracking.',
    packages=find_packages(include=['plugins', 'plugins.*']),
    python_requires='>=3.9',
    license='Apache-2.0',
)

# Ablation of svs-hg2_coco-256x256.py: the same 2-stack hourglass without SVS supervision (stack 1
# regresses keypoint heatmaps: the plain 2-stack hourglass with intermediate supervision).
_base_ = ['./svs-hg2_coco-256x256.py']
model = dict(svs_supervision=False)

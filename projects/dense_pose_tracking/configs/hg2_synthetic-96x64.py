# Ablation of svs-hg2_synthetic-96x64.py: no SVS supervision (stack 1 regresses keypoint
# heatmaps: the plain 2-stack hourglass). The SVS targets are still made by the inherited
# pipeline and ignored (they come from the shared fit cache after the SVS run).
_base_ = ['./svs-hg2_synthetic-96x64.py']
model = dict(svs_supervision=False)

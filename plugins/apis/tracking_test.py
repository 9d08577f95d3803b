"""Video pose-tracking evaluation for ``tools/test.py`` (configs with ``tracking_pipeline``)."""


def run_tracking_test(cfg, args) -> dict:
    """Placeholder until the video dataset and PoseTrack metric land."""
    raise NotImplementedError

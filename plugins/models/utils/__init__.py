"""Model building blocks: flow warping, temporal pooling and fusion layers."""

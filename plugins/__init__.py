"""posetrack-plugins."""

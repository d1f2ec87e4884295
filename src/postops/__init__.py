"""postops: official social media accounts run like code."""

__version__ = "0.1.0"

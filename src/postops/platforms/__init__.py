"""Platforms postops publishes to. One protocol (base.Platform), one registry (base.PLATFORMS)."""

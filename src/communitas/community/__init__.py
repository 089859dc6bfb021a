"""Residents helping each other and trusted information (docs/mutual-aid.md,
docs/verified-information.md), and the participation metrics that show whether the work is
shared among many actors (docs/participation.md)."""

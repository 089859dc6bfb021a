"""Drills and resilience assessment: scenarios, the simulator, metrics, reports, indices.

See docs/drills.md.
"""

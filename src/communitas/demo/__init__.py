"""Synthetic demo city calibrated on published statistics of Shanghai."""

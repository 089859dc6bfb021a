"""Actors: organisations of every kind, and people (residents, volunteers, workers, cadres)."""

"""Dispatch: requests, triage, routing and the allocation optimiser (pure engines first)."""

"""Modes: the normal ↔ emergency switch of every area, its triggers, and response plans.

See docs/modes-and-plans.md. Pure parts: ``levels`` (modes, colours, the severity order),
``machine`` (effective modes, transitions, role ceilings, exit criteria), ``triggers``
(warning and indicator rules) and ``plans`` (the plan file schema and its validation).
"""

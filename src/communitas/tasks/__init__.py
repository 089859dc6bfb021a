"""Tasks for any actor, door-to-door sweeps and volunteer call-outs (docs/tasks.md)."""

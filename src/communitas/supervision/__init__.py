"""Sent-down cadres and party members: assignments to communities and their record,
measured by results, never by check-ins (docs/supervision.md)."""

"""Normal-time routine: reserve top-ups, stock rotation, the drill calendar, reminders for
expiring qualifications (docs/routine.md)."""

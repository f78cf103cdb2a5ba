"""App intake (府中市): an external app's scoped token that can only open anonymous consultations, the duty worker
of an organisation, and the notifications that escalate a critical case to that worker at once (docs/app-intake.md)."""

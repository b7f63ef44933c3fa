"""quejas: Spanish complaint triage and reply assistance."""

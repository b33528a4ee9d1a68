"""Shared kernel: clock, errors, settings, database plumbing."""

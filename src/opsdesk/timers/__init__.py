"""Durable timers: every duty that waits is a row with a due time, fired exactly once."""

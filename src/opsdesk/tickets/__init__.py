"""Tickets: the status rules, comments, audits, merges, and who may read them."""

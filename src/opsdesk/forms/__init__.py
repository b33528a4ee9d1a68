"""Ticket forms and custom ticket fields, with value validation."""

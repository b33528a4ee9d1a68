"""SLA policies: which policy a ticket falls under, its metrics' targets and breach times."""

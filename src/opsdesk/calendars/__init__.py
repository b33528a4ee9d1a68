"""Calendars: business-hours schedules and the business-time arithmetic that SLAs count in."""

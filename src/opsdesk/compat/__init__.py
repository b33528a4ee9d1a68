"""Wire formats of the APIs opsdesk speaks: Zendesk (`/api/v2`) and, later, PagerDuty."""

"""Finding work: Zendesk's search query language, parsed (query.py) and run against tickets."""

"""Views: saved ticket lists with conditions, output columns and sort, and exact live counts."""

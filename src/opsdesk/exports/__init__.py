"""Incremental exports: everything changed since a time, in pages, for BI tools and sync scripts."""

"""`python -m opsdesk` is the `opsdesk` command."""

from opsdesk.cli import main

main()

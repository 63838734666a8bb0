"""`python -m archiver.cli ...`: the same command as the installed `archiver` script."""

from archiver.cli.commands import main

main()

"""`python -m archiver ...`: the same command as the installed `archiver` script."""

from archiver.cli.commands import main

if __name__ == "__main__":
    main()

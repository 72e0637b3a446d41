"""`python -m generator`: the same as the `r2r` command."""

from .cli import main

# Worker processes import the main module again; without this guard each would run the CLI.
if __name__ == "__main__":
    main()

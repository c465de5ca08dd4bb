"""`python -m fincall` runs the same command line as `fincall`."""

from fincall.cli import app

if __name__ == "__main__":
    app()

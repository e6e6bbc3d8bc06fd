"""``python -m newswire``: the same command line as the ``newswire`` script (tests and
cron jobs that pin an interpreter use it)."""

from newswire.cli.app import app

if __name__ == "__main__":
    app()

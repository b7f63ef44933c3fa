"""`python -m pipeline.cli`: the same command line as the `quejas` script."""

from pipeline.cli import app

app()

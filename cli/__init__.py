"""The ``newswire`` command line (typer): one module per command group."""

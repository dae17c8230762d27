"""The ``siyu`` command line (Typer). Commands call services, never tables."""

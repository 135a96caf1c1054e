"""Errors a user can act on. The CLI prints them as one clear message, never a traceback."""


class KonbiniError(Exception):
    """Bad input or a refused action; the message names what is wrong and where."""

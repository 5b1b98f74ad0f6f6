"""Errors that are the user's to fix: the CLI prints them as one line."""


class UserError(Exception):
  """Bad input (a path, a file, a config); the message names it and the problem."""

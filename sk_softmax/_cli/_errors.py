"""The one exception of the command line."""


class UsageError(Exception):
    """A problem with the arguments or the data: printed as one line, no traceback.

    The message names the problem and the flag or the change that fixes it.
    """

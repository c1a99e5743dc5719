"""The one exception the lab raises, with the command and its output."""


class LabError(RuntimeError):
    pass

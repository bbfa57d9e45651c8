"""What an export raises when the optional ``misfortune[export]`` packages are missing."""

EXTRA_HINT = "pip install 'misfortune[export]'"
"""What to run when the optional export packages are missing."""


class ExportUnavailable(RuntimeError):
    """An export needs the optional ``misfortune[export]`` packages, which are not installed."""

    def __init__(self, what: str, missing: str) -> None:
        super().__init__(f"{what} needs the optional package {missing!r}: {EXTRA_HINT}")
        self.missing = missing

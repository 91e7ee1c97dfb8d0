"""``python -m chokepoint``: the same as the ``chokepoint`` command."""

from chokepoint.cli import script

if __name__ == "__main__":
    script()

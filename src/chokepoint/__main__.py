"""``python -m chokepoint``: the same as the ``chokepoint`` command."""

from chokepoint.cli import main

if __name__ == "__main__":
    main()

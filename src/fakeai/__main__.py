"""``python -m fakeai``: the same as the ``fakeai`` command."""

from fakeai.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

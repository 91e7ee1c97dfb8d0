"""Check the distributions that ``python -m build`` made, and what pip installed from them.

``python .ci/check_dist.py contents SDIST WHEEL`` fails unless the sdist holds every file of the
checkout that its tests need (``src/``, ``tests/``, ``docs/``, ``examples/``) and the wheel holds
every file of the package, the shipped chains (``chokepoint/chains/*.yaml``) and ``py.typed``
among them, and nothing from outside it.

``python .ci/check_dist.py installed WHEEL`` (run with the interpreter of the environment under
test) fails unless the installed ``chokepoint`` is the one in that environment's site-packages,
not ``src/``, and every file of the package there has the hash that the wheel's ``RECORD`` gives:
the tests that follow run against exactly the code of the wheel built from the sdist.

Standard library only; messages name the missing or differing files.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: What the sdist must carry besides the package: the tests with their data, the documents they read.
SDIST_FOLDERS = ("src/chokepoint", "tests", "docs", "examples")
SDIST_FILES = ("README.md", "CHANGELOG.md", "LICENSE", "pyproject.toml", "MANIFEST.in")


def _checkout_files(folder: str) -> set[str]:
    """Every file under ``folder`` of the checkout, as a POSIX path relative to the checkout."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def _wheel_record(wheel: Path) -> dict[str, str]:
    """The ``RECORD`` of ``wheel``: hash (``sha256=...``) by path, for the package's files."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
        rows = csv.reader(io.StringIO(archive.read(name).decode("utf-8")))
        return {row[0]: row[1] for row in rows if row and row[0].startswith("chokepoint/")}


def check_contents(sdist: Path, wheel: Path) -> list[str]:
    """Problems with the files in ``sdist`` and ``wheel`` (an empty list when there are none)."""
    problems: list[str] = []
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        in_sdist = {name.removeprefix(f"{top}/") for name in archive.getnames()}
    wanted = set(SDIST_FILES).union(*(_checkout_files(folder) for folder in SDIST_FOLDERS))
    problems += [f"{sdist.name}: missing {name}" for name in sorted(wanted - in_sdist)]

    with zipfile.ZipFile(wheel) as archive:
        in_wheel = {n for n in archive.namelist() if ".dist-info/" not in n}
    package = {name.removeprefix("src/") for name in _checkout_files("src/chokepoint")}
    problems += [f"{wheel.name}: missing {name}" for name in sorted(package - in_wheel)]
    problems += [f"{wheel.name}: unexpected {name}" for name in sorted(in_wheel - package)]
    for required in ("chokepoint/py.typed", "chokepoint/chains/robots.yaml"):
        if required not in in_wheel:
            problems.append(f"{wheel.name}: missing {required}")
    return problems


def check_installed(wheel: Path) -> list[str]:
    """Problems with the installed ``chokepoint`` against the ``RECORD`` of ``wheel``."""
    import chokepoint  # the environment's copy, imported only for this check

    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    package = Path(chokepoint.__file__).resolve().parent
    if package.parent != site:
        return [f"chokepoint imported from {package}, not from {site}"]
    problems: list[str] = []
    record = _wheel_record(wheel)
    for name, expected in sorted(record.items()):
        path = site / name
        if not path.is_file():
            problems.append(f"installed package lacks {name}")
            continue
        digest = hashlib.sha256(path.read_bytes()).digest()
        actual = "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        if actual != expected:
            problems.append(f"installed {name} differs from the wheel built from the sdist")
    installed = {
        path.relative_to(site).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    extra = sorted(installed - set(record))
    problems += [f"installed package has {name}, not in the wheel" for name in extra]
    return problems


def main(argv: list[str]) -> int:
    """Run the check named by ``argv[0]``; print what is wrong; 0 when nothing is."""
    if len(argv) == 3 and argv[0] == "contents":
        problems = check_contents(Path(argv[1]), Path(argv[2]))
        done = f"{Path(argv[1]).name} and {Path(argv[2]).name} hold every file they should"
    elif len(argv) == 2 and argv[0] == "installed":
        problems = check_installed(Path(argv[1]))
        done = "the installed package is, file for file, the wheel built from the sdist"
    else:
        sys.stderr.write(__doc__ or "")
        return 2
    for problem in problems:
        sys.stderr.write(f"check_dist: {problem}\n")
    if problems:
        return 1
    sys.stdout.write(f"ci: {done}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Build hook: ship the top-level ``chains/`` folder inside the package as ``chokepoint/chains``.

The chain files live at the top of the repository so that users and reviewers find them first;
this copies them into the wheel so that ``chokepoint analyze robots`` works after ``pip install .``.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithChains(build_py):
    """``build_py`` that also copies ``chains/*.yaml`` into ``chokepoint/chains``."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "chokepoint" / "chains"
        target.mkdir(parents=True, exist_ok=True)
        for chain in sorted(Path(__file__).parent.joinpath("chains").glob("*.yaml")):
            self.copy_file(str(chain), str(target / chain.name))


setup(cmdclass={"build_py": BuildWithChains})

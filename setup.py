"""Which modules a build installs, and where (the rest of the config is in pyproject.toml).

The repository keeps the project's packages at its top level (``spiders/``, ``pipelines/``,
``archive/``, ``settings.py``, …) and the code imports itself by those names. Built into a wheel
(``pip install .``), only ``vnnews`` lands at the top of site-packages: the other packages and
``settings`` go to ``vnnews/_app/``, a directory that is not on ``sys.path``, so no other program
in the environment can import them (or have its own ``settings`` shadowed by them). The
``vnnews`` console script (``vnnews.console``) puts ``vnnews/_app`` on its own ``sys.path``.

Two builds keep the flat layout of the repository:

- ``bdist_egg``: ``scrapyd-deploy`` runs ``python setup.py clean -a bdist_egg``. Scrapyd puts the
  egg on the path of each job's own process and imports ``settings`` from it (the ``scrapy``
  entry point); the egg is never installed into site-packages.
- editable installs (``pip install -e .``, the repository's ``.venv``): the checkout's own
  names, as pytest (``pythonpath = ["."]``), mypy and ``scrapy`` run in the repository see them.
"""

from __future__ import annotations

import sys

from setuptools import find_packages, setup

#: the project's own packages beside ``vnnews`` (and the ``settings`` module)
OWN = ["extraction", "spiders", "pipelines", "archive", "commands", "monitoring"]
#: where a wheel puts them: a directory inside the ``vnnews`` package, not on ``sys.path``
APP = "vnnews._app"
#: the builds that keep the repository's flat layout
FLAT_COMMANDS = {"bdist_egg", "editable_wheel", "develop"}

core = find_packages(include=["vnnews", "vnnews.*"])
own = find_packages(include=[*OWN, *(f"{name}.*" for name in OWN)])
data = {"vnnews.profiles": ["*.toml"], "extraction": ["*.toml"], "pipelines": ["*.json"]}

if FLAT_COMMANDS.intersection(sys.argv[1:]):
    setup(packages=core + own, py_modules=["settings"], package_data=data)
else:
    setup(
        packages=core + [f"{APP}.{name}" for name in own],
        py_modules=[f"{APP}.settings"],
        package_dir={APP: "."},
        package_data={(f"{APP}.{k}" if k.split(".")[0] in OWN else k): v for k, v in data.items()},
        # a build directory of its own: files a flat build left in build/lib stay out of the wheel
        options={"build": {"build_base": "build/wheel"}},
    )

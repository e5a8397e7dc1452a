"""Build shim: `scrapyd-deploy` runs `python setup.py bdist_egg`; the config is pyproject.toml."""

from setuptools import setup

setup()

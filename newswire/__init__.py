"""newswire: scheduled ETL for a regional news feed.

The checkout keeps the design card's top-level folders (``flows/``, ``tasks/``,
``warehouse/``) plus ``cli/`` and ``feeds/``; installed, they are the sub-packages
``newswire.flows``, ``newswire.tasks``, ``newswire.warehouse``, ``newswire.cli`` and
the package data ``newswire/feeds``. Import names under one project name cannot clash
with the PyPI projects called ``flows`` and ``tasks``, nor with a Prefect user's own
``flows/`` folder (pyproject.toml maps the folders; docs/decisions.md says why).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newswire")
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"

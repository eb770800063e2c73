"""Workflow coverage: which tasks and branches of each workflow the simulated runs exercised.

``pytest --flowdsl-cov`` records it (see ``testing.coverage.session``), ``flowdsl coverage``
combines and reports data files; docs/coverage.md describes what counts. Importing the package
loads nothing: pytest imports the plugin for every project.
"""

"""Neutral core: site profiles, URL rules, the Page item and archive paths.

Imports nothing from spiders, pipelines, archive, extraction or commands.
"""

"""The extraction library: page bytes + URL + profile in, article record out.

Pure Python over lxml, trafilatura and dateparser; imports nothing from Scrapy, spiders,
pipelines or archive (only the neutral core, ``vnnews``).
"""

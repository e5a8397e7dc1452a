"""Distributed crawling on scrapy-redis: ``-s REDIS_URL=redis://host:6379/0`` is the one switch.

See docs/distributed.md. The add-on (``addon``) turns the switch into settings: the
scrapy-redis queue and dupefilter with leases (``scheduler``), and the Redis back ends of the
archive's indexes. Imports only the neutral core and scrapy-redis.
"""

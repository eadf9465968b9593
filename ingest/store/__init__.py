"""The storage layer: the schema as Core tables, one transaction helper, a module per concern
(runs, days, articles, health reads, ...) and migrations."""

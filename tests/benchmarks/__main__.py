"""``python -m tests.benchmarks``: run every benchmark and print one table."""

from tests.benchmarks.run import main

raise SystemExit(main())

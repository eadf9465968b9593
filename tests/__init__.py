"""The test suite, its shared support (``tests.support``) and the benchmarks."""

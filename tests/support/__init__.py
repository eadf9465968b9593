"""What tests and benchmarks share. A test module imports from here, never from another test
module, so each test file can be read, moved or deleted on its own."""

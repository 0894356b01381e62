"""Hand-written IR documents and case builders for the runtime tests (tests/test_runtime_*.py)."""

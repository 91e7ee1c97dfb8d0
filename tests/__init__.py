"""chokepoint's tests (a package, so that test modules share `tests.chains`)."""

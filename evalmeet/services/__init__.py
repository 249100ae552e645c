"""Use cases: ``f(session, ...) -> result``. They flush, never commit, never emit."""

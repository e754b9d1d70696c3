"""Verification tier: the spread kernel against known mathematics (Bass, Watts, Granovetter, Centola & Macy).

Every test here runs in the default ``pytest -n auto``; the ``slow`` marker only lets a quick
local loop skip the few parametrisations that take more than about a second
(``pytest -m "not slow"``).
"""


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a verification case that takes more than about a second")

"""The scenarios of `make reliability` (scripts/reliability.py runs them; helpers in scripts/ops/)."""

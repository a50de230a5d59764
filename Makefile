.PHONY: run test lint fmt bench check fuzz i18n

# Run the API and the worker on the embedded PostgreSQL and Redis (or DATABASE_URL/REDIS_URL).
run:
	bash scripts/dev.sh run

# The whole test suite on fresh, throw-away PostgreSQL and Redis servers. ARGS go to pytest.
test:
	bash scripts/dev.sh test $(ARGS)

# Format and fix what ruff can fix.
fmt:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

# Linters, type checks and the import contracts (also run by .ci/run).
lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy .
	.venv/bin/lint-imports
	.venv/bin/python scripts/check_imports.py

# Benchmarks (never part of the tests); figures go to bench/results/.
bench:
	bash scripts/dev.sh shell .venv/bin/python -m bench.run

# Message catalogues: extract the marked messages and merge them into every language.
i18n:
	bash scripts/i18n.sh update

# Nightly-style fuzzing: every shared UPR document ingested, FUZZ_EXAMPLES (default 100)
# generated requests an operation, stateful chains; FUZZ_SEED=<n> replays a run.
fuzz:
	FUZZ_FULL=1 FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} bash scripts/dev.sh test tests/fault/test_fuzz.py -p no:cacheprovider $(ARGS)

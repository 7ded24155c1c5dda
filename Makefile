# Thin wrapper over Meson: `make run`, `make test`, `make bench`, `make fuzz`.
BUILD ?= build
MESON_OPTS ?= -Dwerror=true
# Seconds per libFuzzer target for `make fuzz` (`make test` runs each for 3).
FUZZ_SECONDS ?= 60

.PHONY: all bootstrap build run test bench fuzz clean

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: bootstrap build
	./$(BUILD)/kalewx serve

test: bootstrap build
	tests/run $(BUILD)

# One table of every benchmark with its ratio to its in-run reference, and the
# same results as JSON in $(BUILD)/bench.json. The store and engine benchmarks
# also measure PostgreSQL on a throwaway server (fsync on).
bench: build
	KW_PG_FSYNC=on tests/pg_env.sh --optional ./$(BUILD)/kalewx bench all --json-file $(BUILD)/bench.json

# Every libFuzzer target of tests/fuzz/, built with clang in build-fuzz/.
fuzz: bootstrap
	tests/fuzz/run.sh --seconds $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) build-asan build-fuzz build-valgrind

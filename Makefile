# Thin wrapper over Meson: `make run`, `make test`, `make bench`.
BUILD ?= build
MESON_OPTS ?= -Dwerror=true

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

# The store benchmark also measures PostgreSQL on a throwaway server (fsync on).
bench: build
	KW_PG_FSYNC=on tests/pg_env.sh --optional ./$(BUILD)/kalewx bench all

# libFuzzer targets (clang; the library instrumented too), FUZZ_SECONDS each,
# starting from the seed corpora in tests/fuzz/corpus where there is one.
FUZZ_SECONDS ?= 60
fuzz:
	test -f build-fuzz/build.ninja || CC=clang meson setup build-fuzz -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link
	ninja -C build-fuzz tests/fuzz/fuzz_xdr tests/fuzz/fuzz_rpc tests/fuzz/fuzz_actions tests/fuzz/fuzz_router
	for t in xdr rpc actions router; do \
		mkdir -p build-fuzz/corpus/$$t; \
		build-fuzz/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus/$$t \
			$$(test -d tests/fuzz/corpus/$$t && echo tests/fuzz/corpus/$$t) || exit 1; \
	done

clean:
	rm -rf $(BUILD) build-asan build-fuzz

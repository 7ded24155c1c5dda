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

clean:
	rm -rf $(BUILD) build-asan

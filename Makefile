# The README's commands. Each installs what it needs (scripts/install-deps.sh), builds once with
# Ninja into build/, and then runs.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all deps build test demo bench fuzz fuzz-replay tidy clean

all: build

deps-%:
	@scripts/install-deps.sh $*

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps-build $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS)

# Unit, integration and fuzz-corpus tests, all through ctest.
test: deps-test $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure --timeout 600 -j 2

# The demo needs only the gateway, the example API and the built frontend.
demo: deps-demo $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS) shipgate coinestate-api coinestate_frontend
	examples/coinestate/demo.sh

bench: deps-bench build
	bench/run_all.sh

# Real libFuzzer binaries (clang); `make test` replays the corpora without them.
fuzz: deps-build
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DSHIPGATE_FUZZ=ON
	ninja -C build-fuzz -j $(JOBS)

# The fuzz corpora replayed under AddressSanitizer and UndefinedBehaviorSanitizer, where any finding
# fails: a sanitizer build (build-asan/) of the fuzz targets only. CI runs it after `make test`.
# -O1 -g1 (ASan's advice; line tables for the reports' file:line): the build takes about a third
# less time than at -O2 -g (17 -> 11 min on 2 cores); the replay takes seconds either way.
SANITIZE_FLAGS = -O1 -g1 -DNDEBUG
fuzz-replay: deps-build
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHIPGATE_SANITIZE=ON \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$(SANITIZE_FLAGS)" -DCMAKE_C_FLAGS_RELWITHDEBINFO="$(SANITIZE_FLAGS)"
	ninja -C build-asan -j $(JOBS) fuzz_targets
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest -L fuzz --output-on-failure -j 2

# clang-tidy with the checks of .clang-tidy over src/ (not in CI; any finding fails).
tidy: $(BUILD)/build.ninja
	run-clang-tidy -p $(BUILD) -j $(JOBS) -quiet '$(CURDIR)/src/.*\.cc$$'

clean:
	rm -rf $(BUILD) build-fuzz build-asan

# The README's commands. Each installs what it needs (scripts/install-deps.sh), builds once with
# Ninja into build/, and then runs.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all deps build test demo bench fuzz clean

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

clean:
	rm -rf $(BUILD) build-fuzz

# The two commands of the quick start:
#   make run    install dependencies, build, start `steward serve --demo`
#   make test   install dependencies, build, run the whole test suite
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: deps build run test test-asan thread-safety bench format tidy fuzz clean

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j$(JOBS)

# Only the daemon: a newcomer should not wait for every test to compile.
run: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j$(JOBS) --target steward
	$(BUILD)/src/steward serve --demo

test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 900

# The in-process tests (core, stores, runtime, watch, HTTP server) under
# AddressSanitizer + UndefinedBehaviorSanitizer.
ASAN_TESTS = core_test store_test runtime_test watch_test server_test
# ctest -R wants them as one alternation: "core_test|store_test|...".
test-asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSTEWARD_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build build-asan -j$(JOBS) --target $(ASAN_TESTS)
	cd build-asan && ctest --output-on-failure -R '^($(subst $(eval) ,|,$(strip $(ASAN_TESTS))))$$'

# Lock discipline checked by the compiler: a clang build of the worker
# runtime (and the layers under it) with -Wthread-safety, warnings as errors.
thread-safety: deps
	cmake -S . -B build-tsa -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	  -DCMAKE_CXX_COMPILER=clang++ -DSTEWARD_WERROR=ON $(CMAKE_FLAGS)
	cmake --build build-tsa -j$(JOBS) --target steward_runtime

bench: build
	rm -f /tmp/steward-bench.db*
	$(BUILD)/bench/steward-bench --db sqlite:///tmp/steward-bench.db --jobs 100000 --concurrency 256

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

tidy: $(BUILD)/build.ninja
	clang-tidy -p $(BUILD) $$(git ls-files 'src/*.cc')

fuzz:
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DSTEWARD_FUZZ=ON
	cmake --build build-fuzz -j$(JOBS) --target fuzzers

clean:
	rm -rf $(BUILD) build-asan build-fuzz build-tsa

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

# One clang build (build-asan) serves three checks, so CI compiles the tree
# twice in all, not four times:
#   test-asan      the in-process tests (core, stores, runtime, watch, HTTP
#                  server) under AddressSanitizer + UndefinedBehaviorSanitizer;
#   thread-safety  the lock discipline, checked by clang's -Wthread-safety
#                  (src/core/thread_annotations.h), warnings as errors;
#   fuzz           the libFuzzer targets (fuzz/), also under ASan + UBSan.
# -O1 with line tables: ASan's advice for speed; stack traces keep file:line.
SAN_BUILD = build-asan
ASAN_TESTS = core_test store_test runtime_test watch_test server_test

$(SAN_BUILD)/build.ninja:
	cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
	  -DSTEWARD_SANITIZE=ON -DSTEWARD_FUZZ=ON -DSTEWARD_WERROR=ON $(CMAKE_FLAGS)

# ctest -R wants them as one alternation: "core_test|store_test|...".
test-asan: deps $(SAN_BUILD)/build.ninja
	cmake --build $(SAN_BUILD) -j$(JOBS) --target $(ASAN_TESTS)
	cd $(SAN_BUILD) && ctest --output-on-failure -R '^($(subst $(eval) ,|,$(strip $(ASAN_TESTS))))$$'

thread-safety: deps $(SAN_BUILD)/build.ninja
	cmake --build $(SAN_BUILD) -j$(JOBS) --target steward_runtime steward_watch steward_server steward_cli

bench: build
	rm -f /tmp/steward-bench.db*
	$(BUILD)/bench/steward-bench --db sqlite:///tmp/steward-bench.db --jobs 100000 --concurrency 256

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

tidy: $(BUILD)/build.ninja
	clang-tidy -p $(BUILD) $$(git ls-files 'src/*.cc')

fuzz: deps $(SAN_BUILD)/build.ninja
	cmake --build $(SAN_BUILD) -j$(JOBS) --target fuzzers

clean:
	rm -rf $(BUILD) $(SAN_BUILD)

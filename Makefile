# Thin wrapper over CMake. The two front-door commands:
#   make demo   build, write a demo log directory with our C writer, serve it
#   make test   install what is missing, build three times (optimised, ASan+UBSan,
#               clang libFuzzer+ASan+UBSan), run every test, then each fuzzer for
#               FUZZ_SECS seconds on its seed corpus
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECS ?= 20
JOBS ?= $(shell nproc)
PORT ?= 6006

.PHONY: all deps build test test-release test-asan demo bench clean install fuzz fuzz-grow

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTB_SANITIZE=ON

test: deps
	$(MAKE) test-release
	$(MAKE) test-asan
	$(MAKE) fuzz

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

$(FUZZ_BUILD)/CMakeCache.txt:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTB_FUZZ=ON -DTB_SANITIZE=ON

fuzz: $(FUZZ_BUILD)/CMakeCache.txt
	cmake -S . -B $(FUZZ_BUILD) >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECS)

# the same, then merge the small new inputs that add coverage into fuzz/corpora/
fuzz-grow: $(FUZZ_BUILD)/CMakeCache.txt
	cmake -S . -B $(FUZZ_BUILD) >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECS) --grow

demo: deps build
	rm -rf $(BUILD)/demo-logdir
	$(BUILD)/demo $(BUILD)/demo-logdir
	$(BUILD)/tboard --logdir $(BUILD)/demo-logdir --port $(PORT)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

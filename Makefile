# Thin wrapper over CMake with the usual verbs.  Each target first runs
# scripts/setup.sh, which installs what is missing (and returns at once when
# nothing is).
#
#   make            build everything into build/
#   make demo       boot the test guest and show pinrxe devices at work
#   make test       run the whole test suite (T=PATTERN for a subset)
#   make test-debug the suite on a KASAN/lockdep/kmemleak/DEBUG_VM kernel
#                   built from linux-source-6.12 (T=PATTERN for a subset)
#   make bench      pinrxe against stock rdma_rxe, side by side, in one VM
#   make install    install module, provider, library, examples (as root)
#   make checkpatch run the kernel's checkpatch.pl over kernel/

BUILD ?= build
CMAKE_FLAGS ?=

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/Makefile: CMakeLists.txt | setup
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=/usr $(CMAKE_FLAGS)

build: setup $(BUILD)/Makefile
	cmake --build $(BUILD) -j$$(nproc)

demo: build
	@bash tests/demo.sh

test: build
	@bash tests/run.sh $(T)

# Its own kernel and build tree under build/debug-kernel; needs no `build`.
test-debug: setup
	@bash tests/debug-kernel/run.sh $(T)

bench: build
	@bash bench/run.sh

install: build
	cmake --install $(BUILD)

checkpatch: setup
	@bash scripts/checkpatch.sh

clean:
	rm -rf $(BUILD)

.PHONY: all setup build demo test test-debug bench install checkpatch clean

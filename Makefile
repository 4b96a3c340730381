# Two commands on a fresh machine: `make run` and `make test`. Everything else is
# what they are made of.
PRESET ?= dev
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)
FORMAT_DIRS := app core sandbox ui tests

.PHONY: run test bench deps configure build package format format-check asan clean fresh-check

run: build
	@if [ "$$(uname -s)" = Linux ] && [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ] && [ -z "$$QT_QPA_PLATFORM" ]; then \
	  echo "make run: no display found (DISPLAY/WAYLAND_DISPLAY unset); starting offscreen. Run from a desktop session to see the window." >&2; \
	  QT_QPA_PLATFORM=offscreen $(BUILD_DIR)/bin/airlock; \
	else \
	  $(BUILD_DIR)/bin/airlock; \
	fi

test: build format-check
	cd $(BUILD_DIR) && ctest --output-on-failure --no-tests=error -j$(JOBS) --timeout 900

bench: build
	bash tests/bench/run-benchmarks.sh $(BUILD_DIR)

deps:
	bash packaging/install-deps.sh

configure: deps
	cmake --preset $(PRESET)

build: configure
	cmake --build --preset $(PRESET) -j$(JOBS)

# The installers (packaging/README.md): a .deb and a .tar.gz on Linux, a .dmg on macOS,
# into $(BUILD_DIR)/packages. `make package PRESET=release` builds them without tests.
package: build
	cmake --build --preset $(PRESET) --target package

asan:
	$(MAKE) test PRESET=asan

format:
	find $(FORMAT_DIRS) -name '*.cpp' -o -name '*.h' | xargs clang-format -i

format-check:
	@find $(FORMAT_DIRS) -name '*.cpp' -o -name '*.h' | xargs clang-format --dry-run --Werror \
	  || { echo "Formatting differs from .clang-format: run 'make format'." >&2; exit 1; }

clean:
	rm -rf build

# `make test` on a fresh clone of HEAD inside a clean Debian 12 root (debootstrap: only
# git and make), as a newcomer's machine would be, so a missing install step shows up
# here and not on their machine. Root only, slow (first run debootstraps), not part of
# `make test`. Commit first: it clones HEAD, not the work tree.
FRESH_ROOT ?= $(abspath $(CURDIR)/../shared/tools/fresh-root.sh)
fresh-check:
	@[ -f "$(FRESH_ROOT)" ] || { echo "make fresh-check: $(FRESH_ROOT) not found; set FRESH_ROOT=/path/to/fresh-root.sh (it is in shared/tools/, beside the clone in CI)." >&2; exit 1; }
	@git diff --quiet HEAD -- || echo "make fresh-check: uncommitted changes are not checked (it clones HEAD)." >&2
	@start=$$(date +%s); bash "$(FRESH_ROOT)" "$(CURDIR)" "make test"; status=$$?; \
	  echo "make fresh-check: exit $$status after $$(( $$(date +%s) - start ))s"; exit $$status

# The two commands of the README: `make run` and `make test`. Both install
# missing Debian packages, configure and build; then run serves the default
# config and test runs the whole suite.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# Let ccache reuse objects across clones and build folders (CI builds a fresh
# clone each time): paths are made relative to the checkout.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: run test deps build test-sanitize bench clean

# The API needs a JWT secret of >= 32 random bytes and has no built-in one:
# the first `make run` writes one to var/jwt_secret (mode 600) and later runs
# reuse it, unless SIGNALFORGE_JWT_SECRET is already set.
run: build
	@mkdir -p var && [ -s var/jwt_secret ] || (umask 077 && head -c 48 /dev/urandom | base64 -w0 > var/jwt_secret)
	SIGNALFORGE_JWT_SECRET="$${SIGNALFORGE_JWT_SECRET:-$$(cat var/jwt_secret)}" \
	  $(BUILD)/signalforge serve --config config/signalforge.json

test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 900 -j$(JOBS)

deps:
	@bash .ci/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
test-sanitize:
	$(MAKE) test BUILD=build-asan CMAKE_FLAGS="-DSF_SANITIZE=ON -DSF_BUILD_BENCHMARKS=OFF"

clean:
	rm -rf $(BUILD) build-asan

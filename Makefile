# Build, test and lint the collaboration service. `make test` needs no environment: each test
# package's TestMain starts its own moto through infra/localaws. To run against LocalStack
# instead (infra/docker-compose.yml): AWS_ENDPOINT_URL=http://localhost:4566 make test

# Builds must not depend on VCS metadata (CI checkouts, SAM's build containers).
export GOFLAGS ?= -buildvcs=false

# Lambda binaries: linux/arm64, static, no RPC shim, no paths or symbols. SAM's go1.x builder
# passes none of these flags, so every function uses BuildMethod: makefile and sam build runs
# `make build-<LogicalId>` with ARTIFACTS_DIR set, here in the repository (build_in_source in
# samconfig.toml; without it SAM first copies the whole CodeUri, the repository, once per function).
GOARCH_LAMBDA ?= arm64
BUILD_FLAGS := -tags lambda.norpc -trimpath -ldflags "-s -w"
# AcceptFunction -> functions/accept, ListOfficeCollaborationsFunction -> functions/list-office-collaborations
fn_dir = functions/$(shell echo '$(1)' | sed -E 's/Function$$//; s/([a-z0-9])([A-Z])/\1-\2/g' | tr 'A-Z' 'a-z')
FUNCTIONS := $(shell sed -n -E 's/^  ([A-Za-z]+Function):$$/\1/p' template.yaml)

.PHONY: test browser lint build dev seed token cleanup bench fuzz

# apt-get needs root; sudo when we are not.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

## test: vet and run every test, each package against its own emulator, the service's and then
## the bench module's (bench/go.mod; its tests take about 15 s and assert no timings); the browser
## test's screenshots, the round-trip table and other test artifacts stay under test-output/.
test: browser
	go vet ./...
	go -C bench vet ./...
	@mkdir -p test-output
	go test -count=1 -timeout 20m -artifacts -outputdir=$(CURDIR)/test-output ./...
	go -C bench test -count=1 -timeout 10m ./...

## browser: install Debian's Chromium for the browser test when it is missing.
browser:
	@command -v chromium >/dev/null || { echo "Installing chromium (Debian package) for the browser test…"; \
		$(SUDO) apt-get install -y chromium >/dev/null || { $(SUDO) apt-get update >/dev/null && $(SUDO) apt-get install -y chromium; }; }

## lint: formatting, vet, the SDK pin (no schema packages in functions) and the SAM template:
## cfn-lint exits non-zero on any error or warning (exit code 2 errors, 4 warnings, or'ed), and
## .ci/lint-template lints the SAM transform's output too (W2001 runs only there) and the dashboard.
lint:
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt -l reports:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	go -C bench vet ./...
	@schemas="$$(go list -deps ./functions/... | grep '^github.com/aws/aws-sdk-go-v2/service/.*/schemas$$' || true)"; \
	if [ -n "$$schemas" ]; then echo "the functions link SDK schema packages, which cost every cold start (docs/dependencies.md, Pinned):"; echo "$$schemas"; exit 1; fi
	cfn-lint --regions eu-north-1 -- template.yaml
	.ci/lint-template template.yaml

## build-<Function>: one function's bootstrap into $(ARTIFACTS_DIR) (what sam build calls).
build-%:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set (sam build sets it)"; exit 1; }
	GOOS=linux GOARCH=$(GOARCH_LAMBDA) CGO_ENABLED=0 go build $(BUILD_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./$(call fn_dir,$*)

## build: every function's bootstrap under bin/<Function>/, as sam build would produce them.
build:
	@for f in $(FUNCTIONS); do $(MAKE) --no-print-directory build-$$f ARTIFACTS_DIR=$(CURDIR)/bin/$$f || exit 1; done

## dev: the whole service locally: emulator, API on 127.0.0.1:3000, workers, schedule, demo data.
dev:
	go run ./infra/cmd/dev

## seed FILE=<file>: load a seed file (format: docs/local.md) into the running stack.
seed:
	@test -n "$(FILE)" || { echo "usage: make seed FILE=infra/seed/demo.json"; exit 1; }
	go run ./infra/cmd/dev seed $(FILE)

## token SUB=<user id>: print a bearer token the local API accepts.
token:
	@test -n "$(SUB)" || { echo "usage: make token SUB=emp-eva"; exit 1; }
	@go run ./infra/cmd/dev token $(SUB)

## cleanup: run the local stack's cleanup now.
cleanup:
	@go run ./infra/cmd/dev cleanup

## bench: measure cold starts, sizes, AWS round trips, cleanup scaling, worker throughput and
## memory against moto, and write docs/performance.md, with the figures as JSON under test-output/
## (30 min on a shared 2-core machine, most of it the memory section: -invocations shortens it;
## one section: cd bench && go run ./cmd/bench -sections size -out -). bench/ is a Go module of its
## own, so the service's go.mod carries nothing only the benchmarks need.
bench:
	@mkdir -p test-output
	go -C bench run ./cmd/bench -out $(CURDIR)/docs/performance.md -json $(CURDIR)/test-output/bench.json

## fuzz [FUZZTIME=30s]: run every fuzz target (found with go test -list) for FUZZTIME each, one
## after another; new failing inputs land in the package's testdata/fuzz/<target>/.
FUZZTIME ?= 30s
fuzz:
	@list="$$(go test -list '^Fuzz' ./...)" || { echo "$$list"; exit 1; }; \
	targets="$$(echo "$$list" | awk '/^Fuzz/ { names = names " " $$1; next } \
		/^ok/ { if (names != "") print $$2 names; names = "" }')"; \
	test -n "$$targets" || { echo "no fuzz targets found"; exit 1; }; \
	echo "$$targets" | while read -r pkg names; do \
		for name in $$names; do \
			echo "== $$name ($$pkg, $(FUZZTIME))"; \
			go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

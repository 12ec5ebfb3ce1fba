# Build, test and lint the collaboration service. `make test` needs no environment: each test
# package's TestMain starts its own moto through infra/localaws. To run against LocalStack
# instead (infra/docker-compose.yml): AWS_ENDPOINT_URL=http://localhost:4566 make test

# Builds must not depend on VCS metadata (CI checkouts, SAM's build containers).
export GOFLAGS ?= -buildvcs=false

.PHONY: test lint

## test: vet and run every test, each package against its own emulator.
test:
	go vet ./...
	go test -count=1 ./...

## lint: formatting, vet and the SAM template.
lint:
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt -l reports:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	cfn-lint template.yaml

# Still to come:
#   build-<Function>  one per function in template.yaml (Metadata: BuildMethod: makefile); sam build
#                     runs it with ARTIFACTS_DIR set, and it writes $(ARTIFACTS_DIR)/bootstrap
#                     (GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc).
#   dev               the local runner against moto or LocalStack.
#   bench             go test -run '^$$' -bench . -count 10 ./... for benchstat.

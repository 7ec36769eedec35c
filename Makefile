# s3migrate — run `make help` for the targets.
SHELL := /bin/bash
GO ?= go
TOOLS := $(CURDIR)/.tools/bin
DIST := $(CURDIR)/dist
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/s3migrate/s3migrate/src/cli.Version=$(VERSION)
GOTEST_TIMEOUT ?= 60m

.DEFAULT_GOAL := help

.PHONY: help
help: ## show this help
	@echo "s3migrate — the two commands a newcomer needs: 'make demo' and 'make test'"
	@echo
	@grep -hE '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: demo
demo: ## copy a mixed data set between two local S3 servers, kill -9 mid-way, resume, verify
	@scripts/demo.sh

.PHONY: test
test: tools lint ## install the emulators and tools, lint, then run every test (what CI runs)
	$(GO) test -timeout $(GOTEST_TIMEOUT) ./...

.PHONY: tools
tools: ## install test tools and emulators into .tools/ (cached per machine)
	@scripts/tools.sh

.PHONY: lint
lint: ## gofmt, go vet, staticcheck (terraform fmt and schema checks run in go test)
	@out=$$(gofmt -l src test); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(TOOLS)/staticcheck ./...

.PHONY: build
build: ## build the s3migrate CLI into dist/
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(DIST)/s3migrate ./src/cmd/s3migrate

.PHONY: lambda
lambda: ## build the Lambda bootstrap (provided.al2023, arm64 and x86_64) and zip it into dist/ for Terraform
	@scripts/package-lambda.sh

.PHONY: bench
bench: ## s3migrate vs rclone on the same data, same run: MB/s and peak RSS (builds rclone once, ~9 min)
	@scripts/bench.sh

.PHONY: fuzz
fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	@scripts/fuzz.sh $(or $(FUZZTIME),30s)

.PHONY: e2e
e2e: lambda ## terratest end-to-end tests against a real AWS account (needs S3MIGRATE_E2E=1 and AWS credentials)
	$(GO) test -timeout 240m -count=1 -v ./test/e2e/...

.PHONY: tf-docs
tf-docs: ## regenerate the inputs/outputs tables in the Terraform module READMEs
	S3MIGRATE_UPDATE_TF_DOCS=1 $(GO) test ./test/terraform -run TestReadmeTables

.PHONY: clean
clean: ## remove build output and local run state (keeps the tool cache)
	rm -rf $(DIST) .run .s3migrate

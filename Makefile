# cloudfuse: build, check and test. CI runs `make test` (through .ci/run).
#
#   make demo       build, start a local MinIO on 127.0.0.1, mount its bucket
#   make build      build bin/cloudfuse
#   make test       gofmt, go vet, staticcheck, then every test with -race
#                   against MinIO and Azurite started on 127.0.0.1 for the run
#   make screenshots  the GUI's screenshots in docs/images (browser test)
#   make bench-s3   raw S3 throughput on MinIO (the baseline for the mount)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

GO ?= go
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
TESTSERVERS := scripts/testservers.sh
GO_TEST_FLAGS ?= -race -count=1 -timeout 45m

.PHONY: demo build test servers fmt-check vet staticcheck go-test bench-s3 windows

# The quick start: build, start a local MinIO with a bucket, mount it.
demo:
	scripts/demo.sh

build:
	$(GO) build -o bin/cloudfuse ./cmd/cloudfuse

# The filesystem and POSIX tests run a second time through the cgofuse
# frontend (the one Windows uses), built with libfuse3 here.
FRONTEND_TESTS := ^(TestEveryOperation|TestEditExistingObject|TestObjectsWrittenBehindTheMount|TestRenameDirectoryOf500Files|TestCopyTreeAndTarRoundTrip|TestOneGiBFileWithDD|TestGitInsideMount|TestOpenUnlinkedFileStaysReadable|TestPOSIX|TestXattr.*|TestInodeNumbers|TestParityFS.*|TestSpecialFilesAndNamesOnBothDataPaths|TestDeviceNodeOpen|TestWindowsNames)$$

test: servers fmt-check vet staticcheck windows
	$(TESTSERVERS) run $(GO) test $(GO_TEST_FLAGS) ./...
	$(TESTSERVERS) run env CLOUDFUSE_E2E_FRONTEND=cgofuse $(GO) test -count=1 -timeout 30m -run '$(FRONTEND_TESTS)' ./e2e

# The Windows binary builds (without cgo, on WinFsp through cgofuse) and
# passes go vet.
windows:
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/cloudfuse
	GOOS=windows GOARCH=amd64 $(GO) vet ./...

# Install fuse3, MinIO and Azurite when missing (cached after the first run).
servers:
	$(TESTSERVERS) ensure

fmt-check:
	@files=$$(find . -path ./.git -prune -o -path ./bin -prune -o -name '*.go' -print); \
	bad=$$(gofmt -l $$files); \
	if [ -n "$$bad" ]; then echo "gofmt needed on:"; echo "$$bad"; exit 1; fi

vet:
	$(GO) vet ./...

# staticcheck comes from the Go module proxy at a pinned version; when it
# cannot be fetched or built the check is skipped with a message, never
# silently.
staticcheck:
	@if $(STATICCHECK) -version >/dev/null 2>&1; then \
		echo "staticcheck ./..."; $(STATICCHECK) ./...; \
	else \
		echo "staticcheck $(STATICCHECK_VERSION) is not available here; skipping it"; \
	fi

bench-s3: servers
	$(TESTSERVERS) run $(GO) test -run '^$$' -bench . -benchtime 5x ./internal/storage/s3store/

# cloudfuse side by side with rclone mount, s3fs and the raw S3 SDK on one
# MinIO (bench/run.sh; BENCH_SIZE_MB=512 for a quick run; see
# docs/performance.md).
# The Debian package: dist/cloudfuse_<VERSION>_<arch>.deb (static binary,
# mount.fuse.cloudfuse link, cloudfuse@.service, sample configs).
VERSION ?= 0.1.0
.PHONY: package
package:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o bin/cloudfuse-static ./cmd/cloudfuse
	$(GO) run ./scripts/package -binary bin/cloudfuse-static -version $(VERSION) -out dist

# The GUI's screenshots in docs/images, taken by the browser test.
.PHONY: screenshots
screenshots: servers
	$(TESTSERVERS) run env CLOUDFUSE_UI_SCREENSHOTS=$(CURDIR)/docs/images $(GO) test -count=1 -run '^TestGUI$$' ./e2e

# The go-fuse and cgofuse frontends side by side (bench/frontends.sh).
.PHONY: bench-frontends
bench-frontends:
	bench/frontends.sh

# Re-reads of a cached file with and without FUSE passthrough
# (bench/passthrough.sh).
.PHONY: bench-passthrough
bench-passthrough:
	bench/passthrough.sh

.PHONY: bench bench-data
bench:
	bench/run.sh

# Preload against the SDK, and a second epoch over the block cache's disk
# tier against the first (bench/data.sh; docs/performance.md).
bench-data:
	bench/data.sh

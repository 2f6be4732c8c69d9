# The two commands of the README: `make run` (or `go run ./cmd/meibo serve`)
# and `make test`.

.PHONY: run test build bench

run:
	go run ./cmd/meibo serve

test:
	./scripts/test.sh

build:
	go build -buildvcs=auto -o meibo ./cmd/meibo

bench:
	./scripts/bench.sh

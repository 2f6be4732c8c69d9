//go:build race

package main

// bulkUsers is the size of the big group of the bulk browser tests: smaller
// under the race detector, which slows the jobs tenfold.
const bulkUsers = 3_000

//go:build !race

package main

// bulkUsers is the size of the big group of the bulk browser tests.
const bulkUsers = 30_000

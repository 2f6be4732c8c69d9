//go:build race

package csvio

const raceEnabled = true

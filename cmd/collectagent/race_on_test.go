//go:build race

package main

// raceEnabled: the race detector slows everything several times; the
// cluster test runs a shorter, lighter load under it.
const raceEnabled = true

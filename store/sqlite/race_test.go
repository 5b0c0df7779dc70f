//go:build race

package sqlite

// raceEnabled reports a -race build, where SQLite (C translated to Go) runs
// tens of times slower.
const raceEnabled = true

package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is set at link time by release builds (the Dockerfile:
// -ldflags "-X main.version=v1.2.3"); otherwise the module's version
// from the build information is used.
var version = ""

// buildInfo is what `collectagent version` prints and /metrics labels.
type buildInfo struct {
	Version, Commit, GoVersion string
	Modified                   bool
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

func (b buildInfo) String() string {
	s := fmt.Sprintf("collectagent %s (commit %s", b.Version, b.Commit)
	if b.Modified {
		s += ", modified"
	}
	return s + ", " + b.GoVersion + ")"
}

// runVersion is `collectagent version`.
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "version: unexpected arguments: %q\n", args)
		return 2
	}
	fmt.Fprintln(stdout, readBuildInfo())
	return 0
}

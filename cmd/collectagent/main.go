// Command collectagent is the one binary of the collections agent: it
// serves the API, chat WebSocket and chat page (serve), imports accounts
// from CSV (import), and runs the evaluation and load tools. main only
// dispatches; each subcommand lives in its own file and wiring is done by
// hand in wire.go.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand. run returns the process exit code.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands is the subcommand table: adding a subcommand is one file with
// its run function and one line here.
var commands = map[string]command{
	"serve":         {"run the HTTP API, chat WebSocket and chat page", runServe},
	"import":        {"import accounts from a CSV file (all or nothing)", runImport},
	"loadgen":       {"drive many concurrent borrowers over WebSockets and report latency", runLoadgen},
	"floor":         {"serve the storage floor that loadgen -floor measures the server against", runFloor},
	"eval":          {"run scripted conversations from suite files and report a pass rate", runEval},
	"audit":         {"verify the hash-chained audit trail (audit verify)", runAudit},
	"hash-password": {"hash a console password or token read from standard input", runHash},
	"version":       {"print the module version, commit and Go version", runVersion},
	"probe":         {"GET a URL and exit 0 on a 2xx answer (container health checks)", runProbe},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "collectagent: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	// The first SIGINT/SIGTERM cancels ctx (a subcommand drains); serve
	// installs its own handling for the second.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cmd.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: collectagent <command> [flags] [args]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'collectagent <command> -h' for a command's flags.")
}

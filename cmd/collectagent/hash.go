package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/collectagent/collectagent/web"
)

// runHash is `collectagent hash-password [--token]`: it reads a console
// password (or an API token) from standard input and prints what
// `web.console.users[].password_hash` (or `token_sha256`) keeps, so secrets
// never appear on a command line or in a configuration file.
func runHash(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return hashFrom(os.Stdin, args, stdout, stderr)
}

func hashFrom(stdin io.Reader, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hash-password", flag.ContinueOnError)
	fs.SetOutput(stderr)
	token := fs.Bool("token", false, "hash an API token (SHA-256) instead of a password (bcrypt)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: collectagent hash-password [--token] < secret\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintf(stderr, "hash-password: %v\n", err)
		return 1
	}
	secret := strings.TrimRight(line, "\r\n")
	if len(secret) < 8 {
		fmt.Fprintln(stderr, "hash-password: the secret must be at least 8 characters (read from standard input)")
		return 2
	}
	if *token {
		fmt.Fprintln(stdout, web.HashToken(secret))
		return 0
	}
	h, err := web.HashPassword(secret)
	if err != nil {
		fmt.Fprintf(stderr, "hash-password: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, h)
	return 0
}

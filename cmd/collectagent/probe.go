package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// runProbe is `collectagent probe`: a container health check on an image
// with no shell or curl. It GETs --url and exits 0 on a 2xx answer, 1
// otherwise.
func runProbe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, url, timeout := probeFlags(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "probe: unexpected arguments: %q\n", fs.Args())
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "probe: %v\n", err)
		return 2
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "probe: %v\n", err)
		return 1
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	if res.StatusCode/100 != 2 {
		fmt.Fprintf(stderr, "probe: %s: %s\n", *url, res.Status)
		return 1
	}
	fmt.Fprintf(stdout, "probe: %s: %s\n", *url, res.Status)
	return 0
}

func probeFlags(stderr io.Writer) (fs *flag.FlagSet, url *string, timeout *time.Duration) {
	fs = flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url = fs.String("url", "http://127.0.0.1:8080/readyz", "URL to GET")
	timeout = fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	return fs, url, timeout
}

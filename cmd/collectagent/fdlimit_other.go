//go:build !unix

package main

import "log/slog"

func checkFDLimit(int, *slog.Logger) {}

//go:build !unix

package compliance

import "time"

func processCPU() (time.Duration, bool) { return 0, false }

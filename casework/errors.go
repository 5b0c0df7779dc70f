package casework

import "errors"

// ErrConfig is a Worker started without its collaborators.
var ErrConfig = errors.New("casework: invalid configuration")

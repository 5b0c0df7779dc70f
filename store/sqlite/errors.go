package sqlite

import "errors"

// ErrConfig reports an invalid option. Record-level errors are the store
// package's sentinels (store.ErrNotFound, store.ErrConflict, ...).
var ErrConfig = errors.New("sqlite: invalid config")

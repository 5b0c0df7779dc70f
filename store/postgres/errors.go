package postgres

import "errors"

// ErrConfig reports an invalid option or connection string. Record-level
// errors are the store package's sentinels (store.ErrNotFound, ...).
var ErrConfig = errors.New("postgres: invalid config")

package casework

import (
	"errors"
	"testing"
)

// The work itself (SLA expiry, requeues, NATS outages) is exercised
// across nodes in package live's tests and over WebSockets in
// cmd/collectagent's.
func TestStartNeedsItsCollaborators(t *testing.T) {
	if _, err := Start(Config{}, Deps{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("Start without deps: %v", err)
	}
}

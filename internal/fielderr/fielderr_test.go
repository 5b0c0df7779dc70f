package fielderr

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

var errBase = errors.New("pkg: bad configuration")

func TestMessagesWalksTheTree(t *testing.T) {
	err := fmt.Errorf("%w: %w", errBase, errors.Join(
		New("web.admin_addr", "not a loopback address"),
		fmt.Errorf("wrapped: %w", Errorf("nats.port", "must be %d..%d", -1, 65535)),
	))
	got := Messages(err)
	want := []string{"web.admin_addr: not a loopback address", "nats.port: must be -1..65535"}
	if !slices.Equal(got, want) {
		t.Fatalf("Messages = %q, want %q", got, want)
	}
	if !errors.Is(err, errBase) || !Is(err) {
		t.Fatal("the sentinel and the field errors must both be found")
	}
}

func TestMessagesWithoutFields(t *testing.T) {
	if got := Messages(nil); got != nil {
		t.Fatalf("Messages(nil) = %q", got)
	}
	err := fmt.Errorf("%w: disk full", errBase)
	if got := Messages(err); !slices.Equal(got, []string{err.Error()}) {
		t.Fatalf("Messages = %q, want the whole text", got)
	}
	if Is(err) {
		t.Fatal("Is must be false without a field error")
	}
}

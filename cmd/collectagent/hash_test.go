package main

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/collectagent/collectagent/web"
)

func TestHashPassword(t *testing.T) {
	var out, errb bytes.Buffer
	if code := hashFrom(strings.NewReader("correct horse battery\n"), nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	h := strings.TrimSpace(out.String())
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("correct horse battery")) != nil {
		t.Fatalf("%q is not a bcrypt hash of the password", h)
	}
	out.Reset()
	if code := hashFrom(strings.NewReader("tok-0123456789abcdef"), []string{"--token"}, &out, &errb); code != 0 {
		t.Fatal(code)
	}
	if got := strings.TrimSpace(out.String()); got != web.HashToken("tok-0123456789abcdef") {
		t.Fatalf("token hash %q", got)
	}
	if code := hashFrom(strings.NewReader("short\n"), nil, &out, &errb); code != 2 {
		t.Fatalf("a short secret: exit %d, want 2", code)
	}
}

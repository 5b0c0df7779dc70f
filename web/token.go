package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// A signed token is "<version>.<payload>.<mac>": payload is base64url JSON
// of the claims, mac is base64url HMAC-SHA256 over "<version>.<payload>".
// It is compact enough for a query string and needs no server-side lookup,
// so any node can check it. Borrower session tokens ("v1") and console
// tokens ("a1") are two kinds of it: different versions, different keys
// and different claims, so one is never taken for the other.
type signedToken[C claims] struct {
	secret []byte
}

// claims is what a kind of token carries and how it is checked.
type claims interface {
	// kind names the token's version and the errors it fails with.
	kind() tokenKind
	// complete reports whether the claims have what the kind requires.
	complete() bool
	// expiry is when the token stops being accepted, in Unix seconds.
	expiry() int64
}

// tokenKind is what differs between kinds of token besides the claims.
type tokenKind struct {
	version                   string
	missing, invalid, expired error
}

func (s signedToken[C]) mac(msg string) string {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// mint returns a signed token carrying c.
func (s signedToken[C]) mint(c C) (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("mint %s token: %w", c.kind().version, err)
	}
	msg := c.kind().version + "." + base64.RawURLEncoding.EncodeToString(b)
	return msg + "." + s.mac(msg), nil
}

// verify checks tok's version, signature, claims and expiry against now.
func (s signedToken[C]) verify(tok string, now time.Time) (C, error) {
	var c C
	k := c.kind()
	if tok == "" {
		return c, k.missing
	}
	i := strings.LastIndexByte(tok, '.')
	if i < 0 || !strings.HasPrefix(tok, k.version+".") {
		return c, fmt.Errorf("token shape: %w", k.invalid)
	}
	msg, sig := tok[:i], tok[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.mac(msg))) {
		return c, fmt.Errorf("token signature: %w", k.invalid)
	}
	b, err := base64.RawURLEncoding.DecodeString(msg[len(k.version)+1:])
	if err != nil {
		return c, fmt.Errorf("token payload: %w", k.invalid)
	}
	if err := json.Unmarshal(b, &c); err != nil || !c.complete() {
		var zero C
		return zero, fmt.Errorf("token claims: %w", k.invalid)
	}
	if !now.Before(time.Unix(c.expiry(), 0)) {
		var zero C
		return zero, k.expired
	}
	return c, nil
}

// tokenClaims is what a borrower's session token carries.
type tokenClaims struct {
	Conversation string `json:"c"`
	Account      string `json:"a"`
	Channel      string `json:"ch"`
	Expires      int64  `json:"exp"` // Unix seconds
}

func (tokenClaims) kind() tokenKind {
	return tokenKind{version: "v1", missing: ErrTokenMissing, invalid: ErrTokenInvalid, expired: ErrTokenExpired}
}
func (c tokenClaims) complete() bool { return c.Conversation != "" && c.Account != "" }
func (c tokenClaims) expiry() int64  { return c.Expires }

// tokenSigner mints and checks borrower session tokens with the
// configured secret.
type tokenSigner = signedToken[tokenClaims]

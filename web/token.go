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

// A session token is "v1.<payload>.<mac>": payload is base64url JSON of
// tokenClaims, mac is base64url HMAC-SHA256 over "v1.<payload>" with the
// configured secret. It is compact enough for a query string and needs no
// server-side lookup, so any node can check it.
const tokenVersion = "v1"

// tokenClaims is what a session token carries.
type tokenClaims struct {
	Conversation string `json:"c"`
	Account      string `json:"a"`
	Channel      string `json:"ch"`
	Expires      int64  `json:"exp"` // Unix seconds
}

// tokenSigner mints and checks session tokens.
type tokenSigner struct {
	secret []byte
}

func (s tokenSigner) mac(msg string) string {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// mint returns a signed token for c.
func (s tokenSigner) mint(c tokenClaims) (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	msg := tokenVersion + "." + base64.RawURLEncoding.EncodeToString(b)
	return msg + "." + s.mac(msg), nil
}

// verify checks tok's signature and expiry against now.
func (s tokenSigner) verify(tok string, now time.Time) (tokenClaims, error) {
	if tok == "" {
		return tokenClaims{}, ErrTokenMissing
	}
	i := strings.LastIndexByte(tok, '.')
	if i < 0 || !strings.HasPrefix(tok, tokenVersion+".") {
		return tokenClaims{}, fmt.Errorf("token shape: %w", ErrTokenInvalid)
	}
	msg, sig := tok[:i], tok[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.mac(msg))) {
		return tokenClaims{}, fmt.Errorf("token signature: %w", ErrTokenInvalid)
	}
	b, err := base64.RawURLEncoding.DecodeString(msg[len(tokenVersion)+1:])
	if err != nil {
		return tokenClaims{}, fmt.Errorf("token payload: %w", ErrTokenInvalid)
	}
	var c tokenClaims
	if err := json.Unmarshal(b, &c); err != nil || c.Conversation == "" || c.Account == "" {
		return tokenClaims{}, fmt.Errorf("token claims: %w", ErrTokenInvalid)
	}
	if !now.Before(time.Unix(c.Expires, 0)) {
		return tokenClaims{}, ErrTokenExpired
	}
	return c, nil
}

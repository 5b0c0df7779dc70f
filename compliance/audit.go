package compliance

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AuditRecord is one link of a hash-chained, append-only audit log (the
// store keeps it as store.AuditEvent, field for field). A chain is one
// conversation (Chain = conversation id) or "system".
type AuditRecord struct {
	Chain    string    `json:"chain"`
	Seq      int64     `json:"seq"` // 1-based within the chain
	Kind     string    `json:"kind"`
	Data     []byte    `json:"data"`
	At       time.Time `json:"at"`
	PrevHash string    `json:"prev_hash"`
	Hash     string    `json:"hash"`
}

// Seal links rec after prev (nil for the first record of a chain): it sets
// Seq, PrevHash and Hash, and, when rec.Chain is empty, takes prev's chain.
// At is kept in UTC and truncated to the microsecond, so that a store that
// keeps microseconds (PostgreSQL) returns the very time that was hashed.
//
// Set rec.At before sealing: a store that stamps a zero time afterwards
// breaks the hash.
//
// Hash = hex(SHA-256(PrevHash || canonical(rec))), where canonical writes
// chain, seq, kind, "sha256:" and the hex SHA-256 of data, and At (UTC,
// RFC 3339 with nanoseconds), each as its byte length in decimal, ':', the
// bytes and '\n'. Hashing the data's digest rather than the data lets an
// erasure replace an event's data by its digest (EraseData) and leave the
// chain verifiable. Records sealed before (over the data itself) still
// verify.
func Seal(prev *AuditRecord, rec AuditRecord) AuditRecord {
	rec.Seq, rec.PrevHash = 1, ""
	if prev != nil {
		rec.Seq, rec.PrevHash = prev.Seq+1, prev.Hash
		if rec.Chain == "" {
			rec.Chain = prev.Chain
		}
	}
	rec.At = rec.At.UTC().Truncate(time.Microsecond)
	rec.Hash = auditHash(&rec)
	return rec
}

func auditHash(r *AuditRecord) string {
	// "sha256:" and the hex digest, built on the stack: this runs for
	// every audit event of every turn.
	var field [len("sha256:") + 2*sha256.Size]byte
	n := copy(field[:], "sha256:")
	if digest, ok := ErasedDigest(r.Data); ok {
		copy(field[n:], digest)
	} else {
		sum := sha256.Sum256(r.Data)
		hex.Encode(field[n:], sum[:])
	}
	return hashOver(r, field[:])
}

// auditHashV1 is the hash of records sealed before data was hashed by its
// digest: over the data itself.
func auditHashV1(r *AuditRecord) string { return hashOver(r, r.Data) }

// matches reports whether r's hash is right, by either rule.
func matches(r *AuditRecord) bool {
	if auditHash(r) == r.Hash {
		return true
	}
	_, erased := ErasedDigest(r.Data)
	return !erased && auditHashV1(r) == r.Hash
}

// EraseData is what an audit event keeps of data once erased: the hex
// SHA-256 of the data, which its hash covers. Data erased already is
// returned as is.
func EraseData(data []byte) []byte {
	if _, ok := ErasedDigest(data); ok {
		return data
	}
	sum := sha256.Sum256(data)
	return []byte(erasedPrefix + hex.EncodeToString(sum[:]) + `"}`)
}

// Erase returns r with its data erased (EraseData) when that leaves r
// verifiable, i.e. r was sealed over the digest of its data; ok is false
// for a record sealed over the data itself (before digests), which keeps
// its data.
func Erase(r AuditRecord) (AuditRecord, bool) {
	if auditHash(&r) != r.Hash {
		return r, false
	}
	r.Data = EraseData(r.Data)
	return r, true
}

const erasedPrefix = `{"erased":true,"sha256":"`

// ErasedDigest returns the digest an erased event's data holds, and
// whether data is erased data.
func ErasedDigest(data []byte) (string, bool) {
	const n = len(erasedPrefix) + 64 + 2
	if len(data) != n || string(data[:len(erasedPrefix)]) != erasedPrefix || string(data[n-2:]) != `"}` {
		return "", false
	}
	d := string(data[len(erasedPrefix) : n-2])
	if _, err := hex.DecodeString(d); err != nil || strings.ToLower(d) != d {
		return "", false
	}
	return d, true
}

func hashOver(r *AuditRecord, data []byte) string {
	var stack [512]byte
	buf := append(stack[:0], r.PrevHash...)
	buf = appendField(buf, r.Chain)
	var num [20]byte
	buf = appendField(buf, strconv.AppendInt(num[:0], r.Seq, 10))
	buf = appendField(buf, r.Kind)
	buf = appendField(buf, data)
	var at [40]byte
	buf = appendField(buf, r.At.UTC().AppendFormat(at[:0], time.RFC3339Nano))
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// appendField appends one length-prefixed field of the hashed text.
func appendField[T string | []byte](buf []byte, b T) []byte {
	buf = strconv.AppendInt(buf, int64(len(b)), 10)
	buf = append(buf, ':')
	buf = append(buf, b...)
	return append(buf, '\n')
}

// ChainError says where a chain stopped verifying. It wraps ErrChainBroken.
type ChainError struct {
	Chain  string
	Seq    int64 // the first seq that does not verify
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("%v: chain %q at seq %d: %s", ErrChainBroken, e.Chain, e.Seq, e.Reason)
}

// Unwrap makes errors.Is(err, ErrChainBroken) hold.
func (e *ChainError) Unwrap() error { return ErrChainBroken }

// VerifyChain checks one whole chain, in order from seq 1: every record is
// in the same chain, seqs follow without gaps, each links to the previous
// hash and each hash is right. It returns a *ChainError naming the first
// seq that breaks (the seq expected at that place, so a deleted record is
// named by its own seq). A chain cut short at its end verifies: compare the
// last hash with one kept elsewhere (VerifyHead) to catch that.
func VerifyChain(recs []AuditRecord) error {
	var prev *AuditRecord
	for i := range recs {
		r := &recs[i]
		want := int64(1)
		prevHash := ""
		chain := r.Chain
		if prev != nil {
			want, prevHash, chain = prev.Seq+1, prev.Hash, prev.Chain
		}
		fail := func(reason string) error {
			return &ChainError{Chain: chain, Seq: want, Reason: reason}
		}
		switch {
		case r.Chain != chain:
			return fail(fmt.Sprintf("record of chain %q", r.Chain))
		case r.Seq != want:
			return fail(fmt.Sprintf("found seq %d", r.Seq))
		case r.PrevHash != prevHash:
			return fail("previous hash does not match")
		case !matches(r):
			return fail("hash does not match the record")
		}
		prev = r
	}
	return nil
}

// VerifyHead verifies recs and checks that the chain ends at the record
// with head's seq and hash (kept outside the store), which catches records
// removed from the end.
func VerifyHead(recs []AuditRecord, headSeq int64, headHash string) error {
	if err := VerifyChain(recs); err != nil {
		return err
	}
	chain := ""
	if len(recs) > 0 {
		chain = recs[0].Chain
	}
	n := int64(len(recs))
	if n < headSeq {
		return &ChainError{Chain: chain, Seq: n + 1, Reason: fmt.Sprintf("chain ends at seq %d, head is seq %d", n, headSeq)}
	}
	if headSeq > 0 && recs[headSeq-1].Hash != headHash {
		return &ChainError{Chain: chain, Seq: headSeq, Reason: "hash differs from the head kept"}
	}
	return nil
}

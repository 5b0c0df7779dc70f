package retention

import (
	"context"
	"path"
	"time"

	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/telephony/record"
)

// Recordings is where call recordings are kept, by conversation.
type Recordings interface {
	// Prune deletes recordings last written before cutoff, except those
	// of conversations keep returns true for, and returns the
	// conversations whose recordings it deleted (with how many).
	Prune(ctx context.Context, cutoff time.Time, keep func(conversationID string) bool) (map[string]int, error)
	// DeleteConversation deletes every recording of a conversation.
	DeleteConversation(ctx context.Context, conversationID string) (int, error)
}

// BlobRecordings keeps recordings in a record.Blob under keys whose
// second-to-last segment is the conversation id
// ("2026/12/03/<conversation>/mix.wav", record.Recorder.Close's prefix).
type BlobRecordings struct{ Blob record.Blob }

func conversationOf(key string) string { return path.Base(path.Dir(key)) }

// Prune implements Recordings.
func (b BlobRecordings) Prune(ctx context.Context, cutoff time.Time, keep func(string) bool) (map[string]int, error) {
	infos, err := b.Blob.List(ctx, "")
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, in := range infos {
		c := conversationOf(in.Key)
		if !in.Modified.Before(cutoff) || keep(c) {
			continue
		}
		if err := b.Blob.Delete(ctx, in.Key); err != nil {
			return out, err
		}
		out[c]++
	}
	return out, nil
}

// DeleteConversation implements Recordings.
func (b BlobRecordings) DeleteConversation(ctx context.Context, conversationID string) (int, error) {
	infos, err := b.Blob.List(ctx, "")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, in := range infos {
		if conversationOf(in.Key) != conversationID {
			continue
		}
		if err := b.Blob.Delete(ctx, in.Key); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// RecordingsRecord is the data of a "retention.recordings" event on the
// system chain.
type RecordingsRecord struct {
	Before        time.Time      `json:"before"`
	Conversations map[string]int `json:"conversations"` // recordings deleted, by conversation
}

// pruneRecordings deletes recordings older than before, except those of
// held accounts' conversations, and seals what it deleted onto the system
// chain.
func (s *Service) pruneRecordings(ctx context.Context, before, now time.Time) (int, error) {
	held, err := s.heldConversations(ctx)
	if err != nil {
		return 0, err
	}
	gone, err := s.rec.Prune(ctx, before, func(c string) bool { return held[c] })
	n := 0
	for _, k := range gone {
		n += k
	}
	if len(gone) > 0 {
		// Sealed even after a failed delete: what went is gone.
		if serr := s.seal(ctx, SystemChain, KindRecordingsPurged, RecordingsRecord{Before: before, Conversations: gone},
			func(ev store.AuditEvent) error { return s.st.AppendAudit(ctx, []store.AuditEvent{ev}) }); serr != nil && err == nil {
			err = serr
		}
	}
	return n, err
}

// heldConversations lists the conversations of accounts under a hold.
func (s *Service) heldConversations(ctx context.Context) (map[string]bool, error) {
	holds, err := s.st.ListHolds(ctx, "")
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	seen := map[string]bool{}
	for _, h := range holds {
		if seen[h.AccountID] {
			continue
		}
		seen[h.AccountID] = true
		cs, err := s.st.ListConversations(ctx, store.ConversationFilter{AccountID: h.AccountID})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			out[c.ID] = true
		}
	}
	return out, nil
}

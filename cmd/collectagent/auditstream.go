package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/collectagent/collectagent/audit"
)

// The JetStream copy of the audit checkpoints: every signed line the
// checkpoint file gets is also published, on the server's NATS connection,
// to a stream that refuses deletes and purges, so that a checkpoint file
// cut short or deleted on the node's disk shows in `audit verify` against
// the copy.

var streamToken = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// checkpointStreamNames are the stream and the subject (one per node
// below it) of the copy, from the NATS prefix.
func checkpointStreamNames(prefix string) (stream, subject string) {
	return strings.ToUpper(streamToken.ReplaceAllString(prefix, "_")) + "_AUDIT", prefix + ".audit.checkpoints"
}

// checkpointStream publishes checkpoint lines to the stream
// (audit.Mirror).
type checkpointStream struct {
	js      jetstream.JetStream
	subject string
}

// openCheckpointStream creates (or updates) the stream and returns its
// publisher.
func openCheckpointStream(ctx context.Context, js jetstream.JetStream, prefix string, replicas int) (*checkpointStream, error) {
	name, subject := checkpointStreamNames(prefix)
	if replicas < 1 {
		replicas = 1
	}
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        name,
		Description: "signed audit checkpoint lines of every node, a copy of their checkpoint files",
		Subjects:    []string{subject + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		Duplicates:  2 * time.Minute,
		DenyDelete:  true,
		DenyPurge:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("audit stream %s: %w", name, err)
	}
	return &checkpointStream{js: js, subject: subject}, nil
}

// PublishCheckpoint implements audit.Mirror. The message id (node and
// line number) makes a retried publish a no-op.
func (s *checkpointStream) PublishCheckpoint(ctx context.Context, l audit.MirrorLine) error {
	node := streamToken.ReplaceAllString(l.Node, "_")
	if node == "" {
		node = "_"
	}
	_, err := s.js.Publish(ctx, s.subject+"."+node, l.Line, jetstream.WithMsgID(fmt.Sprintf("%s-%d", node, l.N)))
	return err
}

// errNoCopy is a stream that does not exist: checkpoints were never
// copied to this NATS.
var errNoCopy = errors.New("no JetStream copy of the checkpoints")

// readCheckpointStream reads every line of the copy, in stream order.
func readCheckpointStream(ctx context.Context, js jetstream.JetStream, prefix string) ([][]byte, error) {
	name, _ := checkpointStreamNames(prefix)
	st, err := js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("stream %s: %w", name, errNoCopy)
	}
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", name, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", name, err)
	}
	total := info.State.Msgs
	if total == 0 {
		return nil, nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", name, err)
	}
	var out [][]byte
	for uint64(len(out)) < total {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return out, fmt.Errorf("stream %s: %w", name, err)
		}
		n := 0
		for m := range batch.Messages() {
			out = append(out, append([]byte(nil), m.Data()...))
			n++
			if md, err := m.Metadata(); err == nil && md.NumPending == 0 {
				total = uint64(len(out))
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			return out, fmt.Errorf("stream %s: %w", name, err)
		}
		if n == 0 {
			return out, fmt.Errorf("stream %s: read %d of %d lines", name, len(out), total)
		}
	}
	return out, nil
}

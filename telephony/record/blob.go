// Package record keeps call recordings: each leg (caller, bot) and a mix
// as WAV files, written through a small blob interface so that an object
// store can replace the local directory, and pruned by age.
//
// It knows audio frames and keys, not conversations: the caller of
// Recorder.Close decides the key and stores the reference.
package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

var (
	// ErrBadKey: a blob key is empty, absolute, or climbs out of the store.
	ErrBadKey = errors.New("record: bad blob key")
	// ErrNotFound: no blob under that key.
	ErrNotFound = errors.New("record: blob not found")
)

// Blob stores recordings by key ("2026/12/03/conv-id/20261203T150405.000Z-mix.wav").
type Blob interface {
	Put(ctx context.Context, key string, r io.Reader) error
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	Delete(ctx context.Context, key string) error
	// List returns the blobs whose keys start with prefix, by key.
	List(ctx context.Context, prefix string) ([]Info, error)
}

// Info describes a stored blob.
type Info struct {
	Key      string
	Size     int64
	Modified time.Time
}

// Dir is a Blob in a local directory (under --data).
type Dir struct{ Root string }

func (d Dir) path(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") || strings.ContainsRune(key, 0) {
		return "", fmt.Errorf("%q: %w", key, ErrBadKey)
	}
	for _, part := range strings.Split(key, "/") {
		if part == "" || part == "." || part == ".." {
			return "", fmt.Errorf("%q: %w", key, ErrBadKey)
		}
	}
	return filepath.Join(d.Root, filepath.FromSlash(key)), nil
}

// Put writes the blob atomically: readers never see half a file.
func (d Dir) Put(ctx context.Context, key string, r io.Reader) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	defer os.Remove(f.Name())
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// Get opens the blob.
func (d Dir) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("get %s: %w", key, ErrNotFound)
	}
	return f, err
}

// Delete removes the blob; a missing one is not an error.
func (d Dir) Delete(ctx context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// List walks the directory.
func (d Dir) List(ctx context.Context, prefix string) ([]Info, error) {
	var out []Info
	err := filepath.WalkDir(d.Root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".put-") {
			return nil
		}
		rel, err := filepath.Rel(d.Root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		st, err := e.Info()
		if err != nil {
			return err
		}
		out = append(out, Info{Key: key, Size: st.Size(), Modified: st.ModTime()})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, err
}

// Prune deletes the blobs under prefix last modified before cutoff (the
// retention setting) and returns how many it deleted.
func Prune(ctx context.Context, b Blob, prefix string, cutoff time.Time) (int, error) {
	infos, err := b.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, in := range infos {
		if in.Modified.Before(cutoff) {
			if err := b.Delete(ctx, in.Key); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

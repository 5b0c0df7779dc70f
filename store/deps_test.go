package store_test

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestImports keeps the store below everything else: its packages import
// the standard library, database drivers and each other, never the
// dialog, compliance, bot or transport packages.
func TestImports(t *testing.T) {
	const module = "github.com/collectagent/collectagent/"
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			return err
		}
		for _, imp := range pkg.Imports {
			if strings.HasPrefix(imp, module) && !strings.HasPrefix(imp, module+"store") {
				t.Errorf("%s imports %s", path, imp)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

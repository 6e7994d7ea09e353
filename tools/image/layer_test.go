package main

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Two checkouts of one commit differ in modification times and in the umask that made them;
// neither may reach the layer.
func TestWriteLayerDependsOnContentsOnly(t *testing.T) {
	epoch := time.Unix(1_700_000_000, 0)
	first := layerOf(t, tree(t, 0o644, time.Unix(1, 0)), epoch)
	second := layerOf(t, tree(t, 0o664, time.Now()), epoch)
	if !bytes.Equal(first, second) {
		t.Fatal("the same files with other times and group-writable modes gave another layer")
	}

	changed := tree(t, 0o644, time.Unix(1, 0))
	if err := os.WriteFile(filepath.Join(changed, "app", "main.js"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(first, layerOf(t, changed, epoch)) {
		t.Fatal("other contents gave the same layer")
	}
	if bytes.Equal(first, layerOf(t, tree(t, 0o644, time.Unix(1, 0)), epoch.Add(time.Second))) {
		t.Fatal("another epoch gave the same layer")
	}
}

func TestWriteLayerRefusesDevicesAndPipes(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("/dev/null", filepath.Join(dir, "null")); err != nil {
		t.Fatal(err)
	}
	if err := writeLayer(dir, filepath.Join(t.TempDir(), "ok.tar.gz"), time.Unix(0, 0)); err != nil {
		t.Fatalf("a symbolic link belongs in a layer: %v", err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeLayer(dir, filepath.Join(t.TempDir(), "bad.tar.gz"), time.Unix(0, 0)); err == nil {
		t.Fatal("a named pipe was written into the layer")
	}
}

func tree(t *testing.T, mode os.FileMode, mtime time.Time) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"app/main.js": "console.log(1)", "app/lib/a.js": "a", "etc/passwd": "root:x:0:0"}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o775); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("main.js", filepath.Join(dir, "app", "index.js")); err != nil {
		t.Fatal(err)
	}
	err := filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(path, mtime, mtime)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func layerOf(t *testing.T, dir string, epoch time.Time) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "layer.tar.gz")
	if err := writeLayer(dir, out, epoch); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

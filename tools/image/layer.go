package main

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// writeLayer writes the folder `dir` as a gzipped tar at `out`, in a form that depends on the
// folder's contents only (see the package comment).
func writeLayer(dir, out string, epoch time.Time) (err error) {
	file, err := os.Create(out)
	if err != nil {
		return err
	}
	defer func() {
		if closeErr := file.Close(); err == nil {
			err = closeErr
		}
	}()
	// Level 9: the Node binary dominates the image; it saves about 2 MB over the default level.
	zipped, err := gzip.NewWriterLevel(file, gzip.BestCompression)
	if err != nil {
		return err
	}
	archive := tar.NewWriter(zipped)
	// WalkDir visits each folder's entries in lexical order: the order is the same on every machine.
	walkErr := filepath.WalkDir(dir, func(path string, entry fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		return addEntry(archive, path, filepath.ToSlash(rel), entry, epoch)
	})
	if walkErr != nil {
		return walkErr
	}
	if err := archive.Close(); err != nil {
		return err
	}
	return zipped.Close()
}

func addEntry(archive *tar.Writer, path, name string, entry fs.DirEntry, epoch time.Time) error {
	info, err := entry.Info()
	if err != nil {
		return err
	}
	header := &tar.Header{Name: name, ModTime: epoch, Uid: 0, Gid: 0, Format: tar.FormatPAX}
	switch mode := info.Mode(); {
	case mode.IsDir():
		header.Typeflag, header.Name, header.Mode = tar.TypeDir, name+"/", dirMode(mode)
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		header.Typeflag, header.Linkname, header.Mode = tar.TypeSymlink, target, 0o777
	case mode.IsRegular():
		header.Typeflag, header.Size, header.Mode = tar.TypeReg, info.Size(), fileMode(mode)
	default:
		return fmt.Errorf("%s: only folders, files and symbolic links belong in an image (mode %v)", path, mode)
	}
	if err := archive.WriteHeader(header); err != nil {
		return err
	}
	if header.Typeflag != tar.TypeReg {
		return nil
	}
	return copyFile(archive, path)
}

func copyFile(w io.Writer, path string) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	_, err = io.Copy(w, file)
	return err
}

// The build machine's umask and the packages' modes must not leak into the digest; nothing in
// the image needs setuid, group-writable or other special bits.
func fileMode(mode fs.FileMode) int64 {
	if mode&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

func dirMode(mode fs.FileMode) int64 {
	if mode&fs.ModeSticky != 0 {
		return 0o1777
	}
	return 0o755
}

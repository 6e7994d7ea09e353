package main

import (
	"archive/tar"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

func addUncompressed(total int64, layer v1.Layer) (int64, error) {
	reader, err := layer.Uncompressed()
	if err != nil {
		return 0, err
	}
	defer reader.Close()
	n, err := io.Copy(io.Discard, reader)
	return total + n, err
}

// imageFromLayout opens the only image of an OCI layout folder or, when the layout's only entry
// is an image index, its image for `platform` (OS/ARCH, e.g. linux/arm64).
func imageFromLayout(dir, platform string) (v1.Image, error) {
	index, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	manifest, err := index.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(manifest.Manifests) != 1 {
		return nil, fmt.Errorf("%s holds %d entries; want exactly one", dir, len(manifest.Manifests))
	}
	entry := manifest.Manifests[0]
	if !entry.MediaType.IsIndex() {
		return index.Image(entry.Digest)
	}
	if platform == "" {
		return nil, fmt.Errorf("%s holds an image index: give --platform", dir)
	}
	nested, err := index.ImageIndex(entry.Digest)
	if err != nil {
		return nil, err
	}
	return platformImage(nested, platform)
}

func platformImage(index v1.ImageIndex, platform string) (v1.Image, error) {
	manifest, err := index.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, m := range manifest.Manifests {
		if m.Platform != nil && m.Platform.OS+"/"+m.Platform.Architecture == platform {
			return index.Image(m.Digest)
		}
	}
	return nil, fmt.Errorf("the image index has no image for %s", platform)
}

// eachEntry walks the image's flattened file system (whiteouts applied), as a runtime sees it.
func eachEntry(layoutDir, platform string, visit func(*tar.Header, io.Reader) error) error {
	img, err := imageFromLayout(layoutDir, platform)
	if err != nil {
		return err
	}
	flat := mutate.Extract(img)
	defer flat.Close()
	archive := tar.NewReader(flat)
	for {
		header, err := archive.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := visit(header, archive); err != nil {
			return fmt.Errorf("%s: %w", header.Name, err)
		}
	}
}

type layoutFlags struct{ dir, platform *string }

func addLayoutFlags(flags *flag.FlagSet) layoutFlags {
	return layoutFlags{
		dir:      flags.String("oci-layout", "", "OCI image layout folder holding one image or one image index"),
		platform: flags.String("platform", "", "the index's image to use: linux/amd64 or linux/arm64"),
	}
}

// configCommand prints the image's configuration (entrypoint, user, environment, labels) as JSON.
func configCommand(args []string) error {
	flags := flag.NewFlagSet("config", flag.ContinueOnError)
	from := addLayoutFlags(flags)
	if err := flags.Parse(args); err != nil {
		return err
	}
	img, err := imageFromLayout(*from.dir, *from.platform)
	if err != nil {
		return err
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(config, '\n'))
	return err
}

// listCommand prints one line per entry: type, octal mode, uid:gid and the absolute path.
func listCommand(args []string) error {
	flags := flag.NewFlagSet("list", flag.ContinueOnError)
	from := addLayoutFlags(flags)
	if err := flags.Parse(args); err != nil {
		return err
	}
	return eachEntry(*from.dir, *from.platform, func(h *tar.Header, _ io.Reader) error {
		_, err := fmt.Printf("%c %04o %d:%d /%s\n", typeLetter(h.Typeflag), h.Mode, h.Uid, h.Gid, strings.TrimSuffix(h.Name, "/"))
		return err
	})
}

func typeLetter(flag byte) byte {
	switch flag {
	case tar.TypeDir:
		return 'd'
	case tar.TypeSymlink:
		return 'l'
	case tar.TypeReg:
		return 'f'
	}
	return '?'
}

func unpackCommand(args []string) error {
	flags := flag.NewFlagSet("unpack", flag.ContinueOnError)
	from := addLayoutFlags(flags)
	out := flags.String("out", "", "folder to unpack the root file system into (must not exist)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("--out: give the folder to unpack into")
	}
	if err := os.Mkdir(*out, 0o755); err != nil {
		return err
	}
	// os.Root refuses any path that leaves the folder, through ".." or through a symbolic link
	// of the image (which may point anywhere: it is meant for the container's view).
	root, err := os.OpenRoot(*out)
	if err != nil {
		return err
	}
	defer root.Close()
	return eachEntry(*from.dir, *from.platform, func(h *tar.Header, content io.Reader) error { return unpackEntry(root, h, content) })
}

func unpackEntry(root *os.Root, h *tar.Header, content io.Reader) error {
	target := strings.TrimPrefix(filepath.Clean("/"+h.Name), "/")
	mode := os.FileMode(h.Mode).Perm()
	switch h.Typeflag {
	case tar.TypeDir:
		if target == "" {
			return nil // the root itself
		}
		if err := root.MkdirAll(target, 0o755); err != nil {
			return err
		}
		return root.Chmod(target, mode|stickyOf(h.Mode))
	case tar.TypeSymlink:
		return root.Symlink(h.Linkname, target)
	case tar.TypeReg:
		return writeFile(root, target, mode, content)
	}
	return fmt.Errorf("unexpected entry type %q", h.Typeflag)
}

func stickyOf(mode int64) os.FileMode {
	if mode&0o1000 != 0 {
		return os.ModeSticky
	}
	return 0
}

func writeFile(root *os.Root, target string, mode os.FileMode, content io.Reader) (err error) {
	file, err := root.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	defer func() {
		if closeErr := file.Close(); err == nil {
			err = closeErr
		}
	}()
	if _, err = io.Copy(file, content); err != nil {
		return err
	}
	return file.Chmod(mode) // the umask trimmed the mode given to OpenFile
}

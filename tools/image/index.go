package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// indexCommand joins single-platform layouts (imagetool build) into one OCI image index, the
// only entry of a new layout, and prints the index's digest: what `crane push` or
// `oras cp --from-oci-layout` publish as one multi-platform tag.
func indexCommand(args []string) error {
	var images repeated
	flags := flag.NewFlagSet("index", flag.ContinueOnError)
	flags.Var(&images, "image", "OCI layout holding one image, built with --platform (repeatable)")
	out := flags.String("oci-layout", "", "output: OCI image layout folder (replaced)")
	tag := flags.String("tag", "", "REPOSITORY:TAG recorded in the layout")
	if err := flags.Parse(args); err != nil {
		return err
	}
	ref, err := name.NewTag(*tag)
	if err != nil {
		return fmt.Errorf("--tag: %w", err)
	}
	if len(images) == 0 || *out == "" {
		return fmt.Errorf("--image (one per platform) and --oci-layout are required")
	}
	index := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, dir := range images {
		if index, err = appendPlatformImage(index, dir); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
	}
	if err := os.RemoveAll(*out); err != nil {
		return err
	}
	path, err := layout.Write(*out, empty.Index)
	if err != nil {
		return err
	}
	annotations := map[string]string{"org.opencontainers.image.ref.name": ref.TagStr()}
	if err := path.AppendIndex(index, layout.WithAnnotations(annotations)); err != nil {
		return err
	}
	digest, err := index.Digest()
	if err != nil {
		return err
	}
	fmt.Println(digest.String())
	return nil
}

func appendPlatformImage(index v1.ImageIndex, dir string) (v1.ImageIndex, error) {
	img, err := imageFromLayout(dir, "")
	if err != nil {
		return nil, err
	}
	config, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	platform := &v1.Platform{OS: config.OS, Architecture: config.Architecture, Variant: config.Variant}
	return mutate.AppendManifests(index, mutate.IndexAddendum{
		Add: img, Descriptor: v1.Descriptor{Platform: platform},
	}), nil
}

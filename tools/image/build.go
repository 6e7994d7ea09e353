package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// repeated collects a flag given several times, in order.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

type buildOptions struct {
	layers, env, labels                    repeated
	epoch                                  int64
	entrypoint, cmd                        string
	user, workdir, tag, ociLayout, tarFile string
	scratch, platform                      string
}

func buildCommand(args []string) error {
	var o buildOptions
	flags := flag.NewFlagSet("build", flag.ContinueOnError)
	flags.Var(&o.layers, "layer", "NAME=DIR, one layer per folder, bottom first (repeatable)")
	flags.Var(&o.env, "env", "K=V for the image's environment (repeatable)")
	flags.Var(&o.labels, "label", "K=V image label (repeatable)")
	flags.Int64Var(&o.epoch, "epoch", -1, "SOURCE_DATE_EPOCH: the time of every file and of the image")
	flags.StringVar(&o.entrypoint, "entrypoint", "", `JSON array, e.g. ["/nodejs/bin/node","main.js"]`)
	flags.StringVar(&o.cmd, "cmd", "[]", "JSON array of default arguments")
	flags.StringVar(&o.user, "user", "65532:65532", "UID:GID the container runs as")
	flags.StringVar(&o.workdir, "workdir", "/", "working directory")
	flags.StringVar(&o.tag, "tag", "", "REPOSITORY:TAG recorded in the tarball and the layout")
	flags.StringVar(&o.ociLayout, "oci-layout", "", "output: OCI image layout folder (replaced)")
	flags.StringVar(&o.tarFile, "tarball", "", "output: docker load-able tarball")
	flags.StringVar(&o.scratch, "scratch", "", "folder for the compressed layers")
	flags.StringVar(&o.platform, "platform", "linux/amd64", "linux/amd64 or linux/arm64")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if err := o.validate(); err != nil {
		return err
	}
	img, err := o.image()
	if err != nil {
		return err
	}
	if err := o.write(img); err != nil {
		return err
	}
	return report(img)
}

func (o *buildOptions) validate() error {
	switch {
	case len(o.layers) == 0:
		return fmt.Errorf("--layer: give at least one NAME=DIR")
	case o.epoch < 0:
		return fmt.Errorf("--epoch: give SOURCE_DATE_EPOCH (seconds since 1970), e.g. the commit time")
	case o.entrypoint == "":
		return fmt.Errorf(`--entrypoint: give a JSON array such as ["/nodejs/bin/node","/app/main.js"]`)
	case o.tag == "" || o.ociLayout == "" || o.scratch == "":
		return fmt.Errorf("--tag, --oci-layout and --scratch are all required")
	}
	if _, err := parsePlatform(o.platform); err != nil {
		return err
	}
	return nil
}

func (o *buildOptions) config() (*v1.ConfigFile, error) {
	var entrypoint, cmd []string
	if err := json.Unmarshal([]byte(o.entrypoint), &entrypoint); err != nil {
		return nil, fmt.Errorf("--entrypoint: not a JSON array of strings: %w", err)
	}
	if err := json.Unmarshal([]byte(o.cmd), &cmd); err != nil {
		return nil, fmt.Errorf("--cmd: not a JSON array of strings: %w", err)
	}
	labels := map[string]string{}
	for _, label := range o.labels {
		key, value, ok := strings.Cut(label, "=")
		if !ok {
			return nil, fmt.Errorf("--label %q: want KEY=VALUE", label)
		}
		labels[key] = value
	}
	platform, err := parsePlatform(o.platform)
	if err != nil {
		return nil, err
	}
	return &v1.ConfigFile{
		Architecture: platform.Architecture,
		Variant:      platform.Variant,
		OS:           platform.OS,
		Created:      v1.Time{Time: o.created()},
		RootFS:       v1.RootFS{Type: "layers"}, // mutate.Append adds the diff IDs
		Config: v1.Config{
			User: o.user, Entrypoint: entrypoint, Cmd: cmd, Env: o.env, WorkingDir: o.workdir, Labels: labels,
		},
	}, nil
}

func (o *buildOptions) created() time.Time { return time.Unix(o.epoch, 0).UTC() }

func (o *buildOptions) image() (v1.Image, error) {
	config, err := o.config()
	if err != nil {
		return nil, err
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.ConfigFile(base, config)
	if err != nil {
		return nil, err
	}
	for _, spec := range o.layers {
		layerName, dir, ok := strings.Cut(spec, "=")
		if !ok {
			return nil, fmt.Errorf("--layer %q: want NAME=DIR", spec)
		}
		out := filepath.Join(o.scratch, layerName+".tar.gz")
		if err := writeLayer(dir, out, o.created()); err != nil {
			return nil, fmt.Errorf("layer %s: %w", layerName, err)
		}
		// Given gzip, the library keeps our bytes as they are and only reads them for the digests.
		layer, err := tarball.LayerFromFile(out, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, err
		}
		history := v1.History{Created: v1.Time{Time: o.created()}, CreatedBy: "imagetool: " + layerName}
		if img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: history}); err != nil {
			return nil, err
		}
	}
	return img, nil
}

func (o *buildOptions) write(img v1.Image) error {
	ref, err := name.NewTag(o.tag)
	if err != nil {
		return fmt.Errorf("--tag: %w", err)
	}
	if err := os.RemoveAll(o.ociLayout); err != nil {
		return err
	}
	path, err := layout.Write(o.ociLayout, empty.Index)
	if err != nil {
		return err
	}
	// The tag alone, as skopeo and crane look it up: oci:build/image/oci:0.1.0
	annotations := map[string]string{"org.opencontainers.image.ref.name": ref.TagStr()}
	if err := path.AppendImage(img, layout.WithAnnotations(annotations)); err != nil {
		return err
	}
	if o.tarFile == "" {
		return nil
	}
	return tarball.WriteToFile(o.tarFile, ref, img)
}

// parsePlatform accepts the two platforms the image is built for (Node and Debian exist for both).
func parsePlatform(s string) (*v1.Platform, error) {
	switch s {
	case "linux/amd64":
		return &v1.Platform{OS: "linux", Architecture: "amd64"}, nil
	case "linux/arm64":
		return &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, nil
	}
	return nil, fmt.Errorf("--platform %q: want linux/amd64 or linux/arm64", s)
}

// report prints the sizes on stderr and the digest, alone, on stdout.
func report(img v1.Image) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	var compressed, uncompressed int64
	for _, layer := range layers {
		size, err := layer.Size()
		if err != nil {
			return err
		}
		compressed += size
		if uncompressed, err = addUncompressed(uncompressed, layer); err != nil {
			return err
		}
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d layers: %.1f MB compressed, %.1f MB uncompressed\n",
		len(layers), float64(compressed)/1e6, float64(uncompressed)/1e6)
	fmt.Println(digest.String())
	return nil
}

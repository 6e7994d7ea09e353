// imagetool builds the operator's container image from folders, the way distroless images are
// built (no Docker engine, no base image), and unpacks or lists an image from an OCI layout.
//
//	imagetool build  --layer NAME=DIR… --epoch SECONDS --entrypoint JSON --env K=V… --label K=V…
//	                 --user UID:GID --workdir DIR --tag REPO:TAG --oci-layout DIR --scratch DIR
//	                 [--platform linux/amd64|linux/arm64] [--tarball FILE]
//	imagetool index  --image DIR… --tag REPO:TAG --oci-layout DIR
//	imagetool unpack --oci-layout DIR [--platform P] --out DIR
//	imagetool list   --oci-layout DIR [--platform P]
//	imagetool config --oci-layout DIR [--platform P]
//
// Every output is a function of the folders' contents and the flags only: entries are sorted,
// owned by 0:0, stamped with --epoch, their modes reduced to 0755/0644 (01777 for sticky
// folders), and gzip carries no name or time. Two builds from one commit give one digest.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: imagetool build|index|unpack|list|config [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = buildCommand(os.Args[2:])
	case "unpack":
		err = unpackCommand(os.Args[2:])
	case "list":
		err = listCommand(os.Args[2:])
	case "config":
		err = configCommand(os.Args[2:])
	case "index":
		err = indexCommand(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q: want build, index, unpack, list or config", os.Args[1])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "imagetool %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// Command cloudfuse mounts an S3 bucket or an Azure Blob container as a
// local filesystem.
package main

import (
	"os"

	"github.com/a9de3765/cloudfuse/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

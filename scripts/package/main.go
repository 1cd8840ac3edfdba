// Command package builds the cloudfuse Debian package (make package):
// the binary, the mount.fuse.cloudfuse helper link that mount -t
// fuse.cloudfuse and /etc/fstab use, the systemd unit cloudfuse@.service
// and the sample configs.
//
//	go run ./scripts/package -binary bin/cloudfuse -version 0.5.0 -out dist
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "package:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("package", flag.ContinueOnError)
	binary := fs.String("binary", "bin/cloudfuse", "the cloudfuse binary to package (static, linux)")
	version := fs.String("version", "0.0.0", "package version")
	arch := fs.String("arch", runtime.GOARCH, "Debian architecture (amd64, arm64)")
	out := fs.String("out", "dist", "directory the .deb is written to")
	root := fs.String("root", ".", "the source tree (for the unit and sample configs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := os.Stat(*binary); err != nil {
		return fmt.Errorf("the binary: %w (run make build first)", err)
	}
	info := packageInfo(*binary, *root, strings.TrimPrefix(*version, "v"), *arch)
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	name := deb.Default.ConventionalFileName(info)
	path := filepath.Join(*out, name)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Println(path)
	return nil
}

// packageInfo describes the package and its files.
func packageInfo(binary, root, version, arch string) *nfpm.Info {
	mode := func(m os.FileMode) *files.ContentFileInfo { return &files.ContentFileInfo{Mode: m} }
	contents := files.Contents{
		{Source: binary, Destination: "/usr/bin/cloudfuse", FileInfo: mode(0o755)},
		{Source: "/usr/bin/cloudfuse", Destination: "/sbin/mount.fuse.cloudfuse", Type: files.TypeSymlink},
		{Source: filepath.Join(root, "setup/systemd/cloudfuse@.service"), Destination: "/lib/systemd/system/cloudfuse@.service", FileInfo: mode(0o644)},
		{Destination: "/etc/cloudfuse", Type: files.TypeDir, FileInfo: mode(0o700)},
	}
	for _, c := range []string{"baseConfig.yaml", "s3-filecache.yaml", "azure-filecache.yaml"} {
		contents = append(contents, &files.Content{Source: filepath.Join(root, "setup", c),
			Destination: "/usr/share/doc/cloudfuse/examples/" + c, FileInfo: mode(0o644)})
	}
	return nfpm.WithDefaults(&nfpm.Info{
		Name:        "cloudfuse",
		Arch:        arch,
		Platform:    "linux",
		Version:     version,
		Section:     "utils",
		Priority:    "optional",
		Maintainer:  "cloudfuse developers <cloudfuse@users.noreply.github.com>",
		Description: "Mount an S3 bucket or an Azure Blob container as a local filesystem\nFUSE filesystem for object storage, a drop-in for Cloudfuse and BlobFuse2\nconfigurations, with a file cache, streaming and a CSI driver.",
		Homepage:    "https://github.com/a9de3765/cloudfuse",
		Overridables: nfpm.Overridables{
			Depends:  []string{"fuse3"},
			Contents: contents,
		},
	})
}

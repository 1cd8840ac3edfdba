//go:build linux

package e2e

// The CSI driver (cloudfuse csi) under csi-test's sanity suite, on MinIO,
// with real mounts: the suite creates volumes, publishes them on this
// node and removes them again.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	csipb "github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/kubernetes-csi/csi-test/v5/pkg/sanity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"gopkg.in/yaml.v3"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// csiDriver is a running `cloudfuse csi`.
type csiDriver struct {
	sock string
	cmd  *exec.Cmd
}

// kill stops the driver the way a crash would.
func (d *csiDriver) kill() {
	d.cmd.Process.Kill()
	d.cmd.Wait()
}

// startCSI runs `cloudfuse csi` serving every service on a socket in dir
// and, at cleanup, stops it (by PID) and unmounts whatever is left below
// dir.
func startCSI(t *testing.T, dir string) *csiDriver {
	t.Helper()
	sock := filepath.Join(dir, "csi.sock")
	cmd := exec.Command(binary, "csi", "--endpoint=unix://"+sock, "--node-id=node-1", "--mode=all",
		"--state-dir="+filepath.Join(dir, "state"), "--log-level=LOG_DEBUG", "--check-interval=500ms")
	logf, err := os.OpenFile(filepath.Join(dir, "csi.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &csiDriver{sock: sock, cmd: cmd}
	t.Cleanup(func() {
		d.kill()
		logf.Close()
		unmountUnder(t, dir)
		if t.Failed() {
			t.Logf("driver log:\n%s", tail(logf.Name()))
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("the driver did not listen on %s\n%s", sock, tail(logf.Name()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// unmountUnder unmounts every mount left below dir (a failed test's).
func unmountUnder(t *testing.T, dir string) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	for _, m := range regexp.MustCompile(`(?m)^\S+ \S+ \S+ \S+ (\S+) `).FindAllStringSubmatch(string(data), -1) {
		if p := unescapeMount(m[1]); len(p) > len(dir) && p[:len(dir)+1] == dir+"/" {
			t.Logf("unmounting %s left behind", p)
			exec.Command("fusermount3", "-u", "-z", p).Run()
		}
	}
}

// TestCSISanity runs csi-test's sanity suite against the driver once per
// store, each in a child process of this test binary: the suite is a
// Ginkgo suite, and Ginkgo runs one suite per process.
//
// Of the suite's 92 specs, those for capabilities the driver does not
// offer are skipped by the suite itself, each with its reason:
//   - snapshots, ListSnapshots, group snapshots: object stores have no
//     point-in-time copy of a prefix to offer;
//   - ControllerPublish/Unpublish: nothing is attached to a node, the node
//     mounts the bucket itself;
//   - NodeStage/Unstage: there is no device to stage, each publish is its
//     own mount;
//   - ListVolumes, GetCapacity, volume stats, expansion, modification: a
//     volume is a prefix of a bucket with no size to list, measure or grow
//     (capacity is advisory, kept only to tell a repeated CreateVolume with
//     another size apart).
func TestCSISanity(t *testing.T) {
	for _, store := range []string{"s3", "azure"} {
		t.Run(store, func(t *testing.T) {
			if store == "s3" {
				s3Env(t)
			} else {
				requireEnv(t, "CLOUDFUSE_TEST_AZURE_ENDPOINT", "CLOUDFUSE_TEST_AZURE_ACCOUNT", "CLOUDFUSE_TEST_AZURE_KEY")
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestCSISanityOn$", "-test.v", "-test.count=1", "-test.timeout=15m")
			cmd.Env = append(os.Environ(), sanityStoreEnv+"="+store, binaryEnv+"="+binary)
			out, err := cmd.CombinedOutput()
			summary := regexp.MustCompile(`\d+ Passed \| \d+ Failed \| \d+ Pending \| \d+ Skipped`).FindString(
				regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(string(out), ""))
			t.Logf("csi-sanity on %s: %s", store, summary)
			if err != nil || summary == "" || !strings.Contains(string(out), "--- PASS: TestCSISanityOn") {
				t.Fatalf("csi-sanity on %s: %v\n%s", store, err, out)
			}
		})
	}
}

// sanityStoreEnv selects the store of TestCSISanityOn.
const sanityStoreEnv = "CLOUDFUSE_CSI_SANITY_STORE"

// TestCSISanityOn is one store's sanity run (see TestCSISanity).
func TestCSISanityOn(t *testing.T) {
	store := os.Getenv(sanityStoreEnv)
	if store == "" {
		t.Skip("run by TestCSISanity, one store per process (Ginkgo runs one suite per process)")
	}
	b, params, creds := csiVolume(t, store)
	dir := t.TempDir()
	sock := startCSI(t, dir).sock
	secrets, err := yaml.Marshal(map[string]map[string]string{
		"CreateVolumeSecret": creds, "DeleteVolumeSecret": creds, "NodePublishVolumeSecret": creds,
		"ControllerValidateVolumeCapabilitiesSecret": creds,
	})
	if err != nil {
		t.Fatal(err)
	}
	secretsFile := filepath.Join(dir, "secrets.yaml")
	if err := os.WriteFile(secretsFile, secrets, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := sanity.NewTestConfig()
	cfg.Address = sock
	cfg.TargetPath = filepath.Join(dir, "target")
	cfg.StagingPath = filepath.Join(dir, "staging")
	cfg.SecretsFile = secretsFile
	params["subdirectory"] = "volumes"
	cfg.TestVolumeParameters = params
	cfg.IdempotentCount = 2
	sanity.Test(t, cfg)

	// The suite's publishes were real mounts, and its volumes are gone.
	log, _ := os.ReadFile(filepath.Join(dir, "csi.log"))
	if n := strings.Count(string(log), "volume mounted"); n < 3 {
		t.Errorf("the driver mounted %d volumes; the suite publishes at least 3", n)
	}
	page, err := b.List(t.Context(), storage.ListOptions{Prefix: "volumes"})
	if err != nil || len(page.Objects) != 0 {
		t.Errorf("left in the store after the suite: %v %v", page.Objects, err)
	}
}

// csiVolume makes a bucket or container for a CSI test and returns it,
// the volume attributes naming it and the Secret's values.
func csiVolume(t *testing.T, store string) (storage.Backend, map[string]string, map[string]string) {
	t.Helper()
	if store == "azure" {
		v := requireEnv(t, "CLOUDFUSE_TEST_AZURE_ENDPOINT", "CLOUDFUSE_TEST_AZURE_ACCOUNT", "CLOUDFUSE_TEST_AZURE_KEY")
		b, section := setupAzure(t)
		name := regexp.MustCompile(`container: (\S+)`).FindStringSubmatch(section)[1]
		return b, map[string]string{"containerName": name, "storageAccount": v[1]},
			map[string]string{"azurestorageaccountname": v[1], "azurestorageaccountkey": v[2], "endpoint": v[0]}
	}
	endpoint, key, secret := s3Env(t)
	b, section := setupS3(t)
	bucket := regexp.MustCompile(`bucket-name: (\S+)`).FindStringSubmatch(section)[1]
	creds := map[string]string{"accessKeyID": key, "secretAccessKey": secret, "endpoint": endpoint}
	if region := regexp.MustCompile(`region: (\S+)`).FindStringSubmatch(section); region != nil {
		creds["region"] = region[1]
	}
	return b, map[string]string{"bucketName": bucket}, creds
}

// csiClient connects to the driver's socket.
func csiClient(t *testing.T, sock string) (csipb.NodeClient, csipb.ControllerClient) {
	t.Helper()
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return csipb.NewNodeClient(conn), csipb.NewControllerClient(conn)
}

func fsCapability(flags ...string) *csipb.VolumeCapability {
	return &csipb.VolumeCapability{
		AccessType: &csipb.VolumeCapability_Mount{Mount: &csipb.VolumeCapability_MountVolume{MountFlags: flags}},
		AccessMode: &csipb.VolumeCapability_AccessMode{Mode: csipb.VolumeCapability_AccessMode_MULTI_NODE_MULTI_WRITER},
	}
}

// A mount outlives the driver: publish, write, kill the driver, keep
// using the mount, restart the driver, publish again (kept), read and
// write; a daemon that died is mounted again by the next publish; then
// unpublish. Mount options from PV specs apply, and the Secret's values
// reach neither a command line nor the log.
func TestCSIRestart(t *testing.T) {
	for _, store := range []string{"s3", "azure"} {
		t.Run(store, func(t *testing.T) {
			b, attrs, creds := csiVolume(t, store)
			dir := t.TempDir()
			stateDir := filepath.Join(dir, "state")
			drv := startCSI(t, dir)
			node, _ := csiClient(t, drv.sock)
			target := filepath.Join(dir, "pods", "p1", "volume")
			req := &csipb.NodePublishVolumeRequest{VolumeId: "static-pv-1", TargetPath: target,
				VolumeCapability: fsCapability("uid=1234", "gid=2345", "-o allow_other"),
				VolumeContext:    attrs, Secrets: creds}
			if _, err := node.NodePublishVolume(t.Context(), req); err != nil {
				t.Fatalf("publish: %v", err)
			}
			mustWrite(t, filepath.Join(target, "before.txt"), "written before the restart")
			if st, err := os.Stat(target); err != nil || st.Sys().(*syscall.Stat_t).Uid != 1234 || st.Sys().(*syscall.Stat_t).Gid != 2345 {
				t.Errorf("uid/gid mount options: %v %+v", err, st)
			}
			pid := daemonPIDIn(t, target, filepath.Join(stateDir, "run"))
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			for _, sec := range creds {
				if len(sec) > 8 && strings.Contains(string(cmdline), sec) {
					t.Errorf("a secret is on the daemon's command line: %q", cmdline)
				}
			}

			// The driver dies; the mount does not.
			drv.kill()
			mustWrite(t, filepath.Join(target, "during.txt"), "written while the driver was down")
			node, _ = csiClient(t, startCSI(t, dir).sock)
			if _, err := node.NodePublishVolume(t.Context(), req); err != nil {
				t.Fatalf("publish after the restart: %v", err)
			}
			if got := daemonPIDIn(t, target, filepath.Join(stateDir, "run")); got != pid {
				t.Errorf("the restarted driver mounted again (daemon %d, was %d)", got, pid)
			}
			if got := mustRead(t, filepath.Join(target, "before.txt")); got != "written before the restart" {
				t.Errorf("read after the restart: %q", got)
			}
			mustWrite(t, filepath.Join(target, "after.txt"), "written after the restart")

			// The daemon dies: the next publish mounts again.
			syscall.Kill(pid, syscall.SIGKILL)
			waitGone(t, pid)
			if _, err := node.NodePublishVolume(t.Context(), req); err != nil {
				t.Fatalf("publish over a dead daemon: %v", err)
			}
			if got := mustRead(t, filepath.Join(target, "after.txt")); got != "written after the restart" {
				t.Errorf("read after the remount: %q", got)
			}
			// Again, and nobody publishes: the driver finds the dead
			// daemon itself and mounts again.
			pid = daemonPIDIn(t, target, filepath.Join(stateDir, "run"))
			syscall.Kill(pid, syscall.SIGKILL)
			waitGone(t, pid)
			deadline := time.Now().Add(15 * time.Second)
			for {
				data, err := os.ReadFile(filepath.Join(target, "during.txt"))
				if err == nil && string(data) == "written while the driver was down" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the dead mount was not mounted again: %v", err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if _, err := node.NodeUnpublishVolume(t.Context(), &csipb.NodeUnpublishVolumeRequest{
				VolumeId: "static-pv-1", TargetPath: target}); err != nil {
				t.Fatalf("unpublish: %v", err)
			}
			if _, err := os.Stat(target); !os.IsNotExist(err) {
				t.Errorf("target left after unpublish: %v", err)
			}
			for _, k := range []string{"before.txt", "during.txt", "after.txt"} {
				if _, err := b.Head(t.Context(), k); err != nil {
					t.Errorf("%s is not in the store: %v", k, err)
				}
			}
			log, _ := os.ReadFile(filepath.Join(dir, "csi.log"))
			for _, sec := range creds {
				if len(sec) > 8 && !strings.HasPrefix(sec, "http") && strings.Contains(string(log), sec) {
					t.Errorf("a secret is in the driver's log")
				}
			}

			// An option neither dialect has fails the publish, naming it.
			bad := proto.Clone(req).(*csipb.NodePublishVolumeRequest)
			bad.VolumeCapability = fsCapability("cache-xz")
			_, err := node.NodePublishVolume(t.Context(), bad)
			if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "cache-xz") {
				t.Errorf("an unknown mount option: %v", err)
			}
		})
	}
}

// A StorageClass with bucketPerVolume gives each volume a bucket (or
// container) of its own: created by CreateVolume, mounted whole, emptied
// and deleted by DeleteVolume.
func TestCSIBucketPerVolume(t *testing.T) {
	for _, store := range []string{"s3", "azure"} {
		t.Run(store, func(t *testing.T) {
			_, attrs, creds := csiVolume(t, store)
			dir := t.TempDir()
			node, ctrl := csiClient(t, startCSI(t, dir).sock)
			params := map[string]string{"bucketPerVolume": "true", "bucketName": "cfe2e"}
			if a := attrs["storageAccount"]; a != "" {
				params["storageAccount"] = a
			}
			name := "pvc-" + strings.TrimPrefix(randomName(""), "-")
			vol, err := ctrl.CreateVolume(t.Context(), &csipb.CreateVolumeRequest{Name: name, Parameters: params,
				Secrets: creds, VolumeCapabilities: []*csipb.VolumeCapability{fsCapability()}})
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			id := vol.GetVolume().GetVolumeId()
			if _, err := ctrl.CreateVolume(t.Context(), &csipb.CreateVolumeRequest{Name: name, Parameters: params,
				Secrets: creds, VolumeCapabilities: []*csipb.VolumeCapability{fsCapability()}}); err != nil {
				t.Fatalf("create again: %v", err)
			}
			target := filepath.Join(dir, "pods", "p", "vol")
			if _, err := node.NodePublishVolume(t.Context(), &csipb.NodePublishVolumeRequest{VolumeId: id,
				TargetPath: target, VolumeCapability: fsCapability(), VolumeContext: vol.GetVolume().GetVolumeContext(),
				Secrets: creds}); err != nil {
				t.Fatalf("publish: %v", err)
			}
			mustWrite(t, filepath.Join(target, "in-its-own-bucket.txt"), "x")
			if _, err := node.NodeUnpublishVolume(t.Context(), &csipb.NodeUnpublishVolumeRequest{VolumeId: id,
				TargetPath: target}); err != nil {
				t.Fatalf("unpublish: %v", err)
			}
			caps := []*csipb.VolumeCapability{fsCapability()}
			if _, err := ctrl.ValidateVolumeCapabilities(t.Context(), &csipb.ValidateVolumeCapabilitiesRequest{
				VolumeId: id, VolumeCapabilities: caps, Secrets: creds}); err != nil {
				t.Fatalf("validate an existing volume: %v", err)
			}
			if _, err := ctrl.DeleteVolume(t.Context(), &csipb.DeleteVolumeRequest{VolumeId: id, Secrets: creds}); err != nil {
				t.Fatalf("delete: %v", err)
			}
			_, err = ctrl.ValidateVolumeCapabilities(t.Context(), &csipb.ValidateVolumeCapabilitiesRequest{
				VolumeId: id, VolumeCapabilities: caps, Secrets: creds})
			if status.Code(err) != codes.NotFound {
				t.Errorf("after delete the volume's bucket answers %v, want NotFound", err)
			}
			if _, err := ctrl.DeleteVolume(t.Context(), &csipb.DeleteVolumeRequest{VolumeId: id, Secrets: creds}); err != nil {
				t.Errorf("delete again: %v", err)
			}
		})
	}
}

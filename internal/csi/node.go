//go:build linux

package csi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	csipb "github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/a9de3765/cloudfuse/internal/mounttab"
)

// targetLocks serialises the calls for one target path.
type targetLocks struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (t *targetLocks) lock(path string) func() {
	t.mu.Lock()
	if t.locks == nil {
		t.locks = map[string]*sync.Mutex{}
	}
	l := t.locks[path]
	if l == nil {
		l = &sync.Mutex{}
		t.locks[path] = l
	}
	t.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// NodePublishVolume mounts the volume at the target path with `cloudfuse
// mount`. It is idempotent: a live cloudfuse mount at the path is kept,
// and one whose daemon died is cleaned up and mounted again.
func (d *Driver) NodePublishVolume(ctx context.Context, req *csipb.NodePublishVolumeRequest) (*csipb.NodePublishVolumeResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, status.Error(codes.InvalidArgument, "volume ID missing")
	case req.GetTargetPath() == "":
		return nil, status.Error(codes.InvalidArgument, "target path missing")
	case req.GetVolumeCapability() == nil:
		return nil, status.Error(codes.InvalidArgument, "volume capability missing")
	}
	readOnly, err := checkCapability(req.GetVolumeCapability())
	if err != nil {
		return nil, err
	}
	readOnly = readOnly || req.GetReadonly()
	v, err := volumeOf(req.GetVolumeId(), req.GetVolumeContext(), req.GetSecrets())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	args, err := mountArgs(req.GetVolumeCapability().GetMount().GetMountFlags(), &v)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	target := filepath.Clean(req.GetTargetPath())
	if req.GetVolumeCapability().GetAccessMode().GetMode() == csipb.VolumeCapability_AccessMode_SINGLE_NODE_SINGLE_WRITER {
		// One target at a time for a single-writer volume: the check and
		// the record of this publish are one step.
		d.singleWriter.Lock()
		defer d.singleWriter.Unlock()
		if other := d.publishedAt(req.GetVolumeId(), target); other != "" {
			return nil, status.Errorf(codes.FailedPrecondition,
				"volume %q is single-writer and already published at %s", req.GetVolumeId(), other)
		}
	}
	defer d.targets.lock(target)()
	switch st, err := d.mountState(target); {
	case err != nil:
		return nil, err
	case st == mountedLive:
		return &csipb.NodePublishVolumeResponse{}, nil
	case st == mountedStale:
		d.log.Warn("the mount's daemon died; mounting again", "target", target)
		if err := d.unmount(ctx, target); err != nil {
			return nil, err
		}
	}
	if err := d.mount(ctx, v, req.GetVolumeId(), target, readOnly, args); err != nil {
		return nil, err
	}
	return &csipb.NodePublishVolumeResponse{}, nil
}

// publishedAt is another target where the volume is published and
// mounted, or "".
func (d *Driver) publishedAt(volumeID, target string) string {
	entries, err := mounttab.Read(d.o.MountInfo)
	if err != nil {
		return ""
	}
	for _, rec := range d.records() {
		if rec.VolumeID == volumeID && rec.Target != target {
			if e, ok := mounttab.Find(entries, rec.Target); ok && e.Ours() {
				return rec.Target
			}
		}
	}
	return ""
}

// records reads the records of the published volumes.
func (d *Driver) records() []mountRecord {
	dirs, _ := filepath.Glob(filepath.Join(d.o.StateDir, "volumes", "*"))
	var out []mountRecord
	for _, dir := range dirs {
		data, err := os.ReadFile(filepath.Join(dir, "mount.json"))
		if err != nil {
			continue
		}
		var rec mountRecord
		if json.Unmarshal(data, &rec) == nil && d.volumeDir(rec.Target) == dir {
			out = append(out, rec)
		}
	}
	return out
}

// mount writes the volume's config and runs cloudfuse mount.
func (d *Driver) mount(ctx context.Context, v volume, volumeID, target string, readOnly bool, args []string) error {
	if err := os.MkdirAll(target, 0o750); err != nil {
		return status.Errorf(codes.Internal, "creating the target path: %v", err)
	}
	dir := d.volumeDir(target)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return status.Errorf(codes.Internal, "creating the volume's state directory: %v", err)
	}
	cfg, err := v.config(filepath.Join(dir, "cache"), filepath.Join(dir, "cloudfuse.log"), readOnly)
	if err != nil {
		return status.Errorf(codes.Internal, "writing the mount's config: %v", err)
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	// The config holds the Secret's values: mode 0600, and never on a
	// command line.
	if err := writePrivate(cfgPath, cfg); err != nil {
		return status.Errorf(codes.Internal, "writing the mount's config: %v", err)
	}
	rec, err := json.Marshal(mountRecord{VolumeID: volumeID, Target: target, Args: args})
	if err == nil {
		err = writePrivate(filepath.Join(dir, "mount.json"), rec)
	}
	if err != nil {
		return status.Errorf(codes.Internal, "recording the mount: %v", err)
	}
	if err := d.runMount(ctx, dir, target, args); err != nil {
		return err
	}
	d.log.Info("volume mounted", "target", target, "store", v.store, "bucket", v.bucket, "prefix", v.prefix,
		"read_only", readOnly)
	return nil
}

// mountRecord is what the driver keeps of a published volume to mount it
// again when its daemon dies: its target and flags (the config is beside
// it).
type mountRecord struct {
	VolumeID string   `json:"volume_id"`
	Target   string   `json:"target"`
	Args     []string `json:"args"`
}

// runMount runs cloudfuse mount for the config in the state directory.
func (d *Driver) runMount(ctx context.Context, dir, target string, args []string) error {
	cfgPath := filepath.Join(dir, "config.yaml")
	cmd := exec.CommandContext(ctx, d.o.Binary, append([]string{"mount", target, "--config-file=" + cfgPath}, args...)...)
	cmd.Env = append(os.Environ(), "CLOUDFUSE_RUNTIME_DIR="+filepath.Join(d.o.StateDir, "run"))
	// A daemon of its own session: it outlives the driver.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if out, err := cmd.CombinedOutput(); err != nil {
		return status.Errorf(codes.Internal, "cloudfuse mount %s: %s", target, lastLine(out, err))
	}
	return nil
}

// Watch mounts again, every interval until ctx ends, the published
// volumes whose daemon died (the mount answers ENOTCONN), so a crashed
// daemon does not leave a pod's volume broken. It looks once at once, for
// the mounts an earlier run of the driver made.
func (d *Driver) Watch(ctx context.Context, interval time.Duration) {
	for {
		d.remountDead(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// remountDead mounts again each recorded volume whose mount is stale.
func (d *Driver) remountDead(ctx context.Context) {
	for _, rec := range d.records() {
		dir := d.volumeDir(rec.Target)
		func() {
			defer d.targets.lock(rec.Target)()
			if st, err := d.mountState(rec.Target); err != nil || st != mountedStale {
				return
			}
			d.log.Warn("the daemon of a published volume died; mounting it again", "target", rec.Target)
			err := d.unmount(ctx, rec.Target)
			if err == nil {
				err = d.runMount(ctx, dir, rec.Target, rec.Args)
			}
			if err != nil {
				d.log.Error("mounting a volume again failed; the next check tries again", "target", rec.Target, "err", err)
				return
			}
			d.log.Info("volume mounted again", "target", rec.Target)
		}()
	}
}

func writePrivate(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// NodeUnpublishVolume unmounts the target path (cloudfuse unmount waits
// for pending uploads) and removes it. It is idempotent.
func (d *Driver) NodeUnpublishVolume(ctx context.Context, req *csipb.NodeUnpublishVolumeRequest) (*csipb.NodeUnpublishVolumeResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, status.Error(codes.InvalidArgument, "volume ID missing")
	case req.GetTargetPath() == "":
		return nil, status.Error(codes.InvalidArgument, "target path missing")
	}
	target := filepath.Clean(req.GetTargetPath())
	defer d.targets.lock(target)()
	st, err := d.mountState(target)
	if err != nil {
		return nil, err
	}
	if st != notMounted {
		if err := d.unmount(ctx, target); err != nil {
			return nil, err
		}
	}
	if err := os.Remove(target); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, status.Errorf(codes.Internal, "removing the target path: %v", err)
	}
	// Every upload finished (unmount waited for them): the cache and the
	// config with its secrets can go.
	if err := os.RemoveAll(d.volumeDir(target)); err != nil {
		return nil, status.Errorf(codes.Internal, "removing the volume's state: %v", err)
	}
	return &csipb.NodeUnpublishVolumeResponse{}, nil
}

func (d *Driver) unmount(ctx context.Context, target string) error {
	cmd := exec.CommandContext(ctx, d.o.Binary, "unmount", target)
	cmd.Env = append(os.Environ(), "CLOUDFUSE_RUNTIME_DIR="+filepath.Join(d.o.StateDir, "run"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return status.Errorf(codes.Internal, "cloudfuse unmount %s: %s", target, lastLine(out, err))
	}
	return nil
}

type mountState int

const (
	notMounted mountState = iota
	mountedLive
	mountedStale
)

// mountState says whether target holds a cloudfuse mount and whether its
// daemon still answers. Another filesystem there is an error.
func (d *Driver) mountState(target string) (mountState, error) {
	entries, err := mounttab.Read(d.o.MountInfo)
	if err != nil {
		return 0, status.Error(codes.Internal, err.Error())
	}
	e, ok := mounttab.Find(entries, target)
	switch {
	case !ok:
		return notMounted, nil
	case !e.Ours():
		return 0, status.Errorf(codes.FailedPrecondition, "%s is already a %s mount", target, e.FSType)
	}
	// statfs always reaches the daemon (a stat may be answered from the
	// kernel's attribute cache); a dead one answers ENOTCONN.
	var st syscall.Statfs_t
	if err := syscall.Statfs(target, &st); errors.Is(err, syscall.ENOTCONN) || errors.Is(err, syscall.ECONNABORTED) {
		return mountedStale, nil
	}
	return mountedLive, nil
}

// volumeDir is the state directory of the volume published at target.
func (d *Driver) volumeDir(target string) string {
	sum := sha256.Sum256([]byte(target))
	return filepath.Join(d.o.StateDir, "volumes", hex.EncodeToString(sum[:12]))
}

// NodeGetCapabilities: no staging, no stats; the single-node access
// modes tell one writer from several (a SINGLE_NODE_SINGLE_WRITER volume
// is published at one target at a time).
func (d *Driver) NodeGetCapabilities(context.Context, *csipb.NodeGetCapabilitiesRequest) (*csipb.NodeGetCapabilitiesResponse, error) {
	return &csipb.NodeGetCapabilitiesResponse{Capabilities: []*csipb.NodeServiceCapability{{
		Type: &csipb.NodeServiceCapability_Rpc{Rpc: &csipb.NodeServiceCapability_RPC{
			Type: csipb.NodeServiceCapability_RPC_SINGLE_NODE_MULTI_WRITER}},
	}}}, nil
}

// NodeGetInfo names the node.
func (d *Driver) NodeGetInfo(context.Context, *csipb.NodeGetInfoRequest) (*csipb.NodeGetInfoResponse, error) {
	return &csipb.NodeGetInfoResponse{NodeId: d.o.NodeID}, nil
}

// checkCapability accepts filesystem volumes in every access mode and
// says whether the mode only reads.
func checkCapability(c *csipb.VolumeCapability) (readOnly bool, err error) {
	if c.GetBlock() != nil {
		return false, status.Error(codes.InvalidArgument, "block volumes are not supported: a bucket is mounted as a filesystem")
	}
	if c.GetMount() == nil {
		return false, status.Error(codes.InvalidArgument, "the volume capability names no access type (mount)")
	}
	if fs := c.GetMount().GetFsType(); fs != "" && fs != "fuse" && fs != "cloudfuse" {
		return false, status.Errorf(codes.InvalidArgument, "fsType %q: cloudfuse volumes have no filesystem type to choose", fs)
	}
	switch c.GetAccessMode().GetMode() {
	case csipb.VolumeCapability_AccessMode_SINGLE_NODE_READER_ONLY, csipb.VolumeCapability_AccessMode_MULTI_NODE_READER_ONLY:
		return true, nil
	case csipb.VolumeCapability_AccessMode_UNKNOWN:
		return false, status.Error(codes.InvalidArgument, "access mode missing")
	}
	return false, nil
}

// lastLine is the last line a command printed, or its error.
func lastLine(out []byte, err error) string {
	s := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if s == "" {
		return err.Error()
	}
	return s
}

//go:build linux

// Package csi is cloudfuse's Kubernetes CSI driver: the Identity, Node
// and Controller services of the Container Storage Interface over gRPC on
// a unix socket. A volume is an S3 bucket or an Azure container and a
// prefix in it; NodePublishVolume mounts it at the pod's target path by
// running `cloudfuse mount` as a user would, so the mount daemon is not a
// child of the driver and outlives a restart of it. The controller gives
// each dynamically provisioned volume its own prefix.
package csi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	csipb "github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// DefaultName is the driver's name (the CSIDriver object's).
const DefaultName = "csi.cloudfuse.io"

// Options configures a Driver.
type Options struct {
	Name    string // DefaultName unless set
	Version string
	NodeID  string // required with Node
	// Node and Controller select the services served; Identity always is.
	Node, Controller bool
	// StateDir keeps one directory per published volume: its config
	// (mode 0600, holding the Secret's values), file cache and log.
	StateDir string
	// Binary is the cloudfuse executable that mounts and unmounts.
	Binary string
	// MountInfo is the mount table to read (/proc/self/mountinfo).
	MountInfo string
	// OpenStore opens the store a config describes (the controller's
	// access to buckets).
	OpenStore func(ctx context.Context, config []byte) (storage.Backend, error)
	Logger    *slog.Logger
}

// Driver implements the CSI services.
type Driver struct {
	csipb.UnimplementedIdentityServer
	csipb.UnimplementedNodeServer
	csipb.UnimplementedControllerServer

	o       Options
	log     *slog.Logger
	targets targetLocks // node calls, one target at a time
	// singleWriter makes the check that a single-writer volume is not
	// published elsewhere, and its publish, one step.
	singleWriter sync.Mutex
}

// New checks o and returns a Driver.
func New(o Options) (*Driver, error) {
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MountInfo == "" {
		o.MountInfo = "/proc/self/mountinfo"
	}
	switch {
	case !o.Node && !o.Controller:
		return nil, errors.New("serve the node service, the controller service or both")
	case o.Node && o.NodeID == "":
		return nil, errors.New("the node service needs a node ID (--node-id)")
	case o.Node && (o.StateDir == "" || o.Binary == ""):
		return nil, errors.New("the node service needs a state directory and the cloudfuse binary")
	case o.Controller && o.OpenStore == nil:
		return nil, errors.New("the controller service needs a way to open stores")
	}
	return &Driver{o: o, log: o.Logger}, nil
}

// Serve serves the driver on endpoint (unix:///path or a path) until ctx
// ends. A stale socket file left by an earlier run is replaced.
func (d *Driver) Serve(ctx context.Context, endpoint string) error {
	path, err := socketPath(endpoint)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the old socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(d.logCalls))
	csipb.RegisterIdentityServer(srv, d)
	if d.o.Node {
		csipb.RegisterNodeServer(srv, d)
	}
	if d.o.Controller {
		csipb.RegisterControllerServer(srv, d)
	}
	d.log.Info("CSI driver serving", "name", d.o.Name, "endpoint", path, "node", d.o.Node,
		"controller", d.o.Controller, "node_id", d.o.NodeID)
	stop := context.AfterFunc(ctx, srv.GracefulStop)
	defer stop()
	return srv.Serve(ln)
}

// socketPath accepts "unix:///csi/csi.sock", "unix:/csi/csi.sock" or a
// plain path.
func socketPath(endpoint string) (string, error) {
	if !strings.Contains(endpoint, "://") && !strings.HasPrefix(endpoint, "unix:") {
		return endpoint, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "unix" {
		return "", fmt.Errorf("endpoint %q: expected unix:///path/to/csi.sock", endpoint)
	}
	p := u.Path
	if p == "" {
		p = u.Opaque
	}
	if p == "" {
		return "", fmt.Errorf("endpoint %q: no socket path", endpoint)
	}
	return p, nil
}

// logCalls logs each call and its outcome; requests are never logged
// (they carry secrets).
func (d *Driver) logCalls(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	resp, err := h(ctx, req)
	if err != nil {
		d.log.Warn("CSI call failed", "method", info.FullMethod, "err", err)
	} else {
		d.log.Debug("CSI call", "method", info.FullMethod)
	}
	return resp, err
}

// Identity service.

func (d *Driver) GetPluginInfo(context.Context, *csipb.GetPluginInfoRequest) (*csipb.GetPluginInfoResponse, error) {
	return &csipb.GetPluginInfoResponse{Name: d.o.Name, VendorVersion: d.o.Version}, nil
}

func (d *Driver) GetPluginCapabilities(context.Context, *csipb.GetPluginCapabilitiesRequest) (*csipb.GetPluginCapabilitiesResponse, error) {
	var caps []*csipb.PluginCapability
	if d.o.Controller {
		caps = append(caps, &csipb.PluginCapability{Type: &csipb.PluginCapability_Service_{
			Service: &csipb.PluginCapability_Service{Type: csipb.PluginCapability_Service_CONTROLLER_SERVICE}}})
	}
	return &csipb.GetPluginCapabilitiesResponse{Capabilities: caps}, nil
}

func (d *Driver) Probe(context.Context, *csipb.ProbeRequest) (*csipb.ProbeResponse, error) {
	return &csipb.ProbeResponse{}, nil
}

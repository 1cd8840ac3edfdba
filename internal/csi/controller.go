//go:build linux

package csi

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"strconv"
	"strings"

	csipb "github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Dynamic provisioning: a StorageClass names a bucket (or container) in
// its parameters and the provisioner Secret holds the credentials (and,
// for a store other than Amazon S3 or Azure, the endpoint). Each volume
// is the prefix "<subdirectory>/<volume name>" of that bucket, created
// with a directory marker that records the requested capacity (object
// stores have none to enforce: it is advisory). DeleteVolume removes
// every object under the prefix unless the class says onDelete: retain.

// capacityMeta is the marker's metadata key holding the capacity asked
// for, so that a second CreateVolume of the name with another size is
// told apart.
const capacityMeta = "csi_capacity_bytes"

// ControllerGetCapabilities: volumes are created and deleted.
func (d *Driver) ControllerGetCapabilities(context.Context, *csipb.ControllerGetCapabilitiesRequest) (*csipb.ControllerGetCapabilitiesResponse, error) {
	var caps []*csipb.ControllerServiceCapability
	for _, c := range []csipb.ControllerServiceCapability_RPC_Type{
		csipb.ControllerServiceCapability_RPC_CREATE_DELETE_VOLUME,
		csipb.ControllerServiceCapability_RPC_SINGLE_NODE_MULTI_WRITER,
	} {
		caps = append(caps, &csipb.ControllerServiceCapability{Type: &csipb.ControllerServiceCapability_Rpc{
			Rpc: &csipb.ControllerServiceCapability_RPC{Type: c}}})
	}
	return &csipb.ControllerGetCapabilitiesResponse{Capabilities: caps}, nil
}

// CreateVolume makes the volume's prefix in the class's bucket.
func (d *Driver) CreateVolume(ctx context.Context, req *csipb.CreateVolumeRequest) (*csipb.CreateVolumeResponse, error) {
	if req.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume name missing")
	}
	if len(req.GetVolumeCapabilities()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "volume capabilities missing")
	}
	for _, c := range req.GetVolumeCapabilities() {
		if _, err := checkCapability(c); err != nil {
			return nil, err
		}
	}
	v, err := parseVolume(req.GetParameters(), req.GetSecrets())
	if err == nil && v.bucket == "" {
		err = errNoBucket
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	id := volumeID{store: v.store, bucket: v.bucket, account: v.account, retain: v.onDelete == "retain",
		prefix: strings.Trim(v.prefix+"/"+req.GetName(), "/")}
	size := req.GetCapacityRange().GetRequiredBytes()
	if v.perVolume == "true" {
		id.bucket, id.prefix, id.ownBucket = bucketName(v.bucket, req.GetName()), "", true
		v.bucket = id.bucket
	}
	b, err := d.openStore(ctx, v)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if id.ownBucket {
		bm, err := bucketMaker(b)
		if err != nil {
			return nil, err
		}
		if err := bm.CreateBucket(ctx); err != nil {
			return nil, storeError("creating the volume's bucket", err)
		}
		return d.created(req, id, size), nil
	}
	key, md := markerOf(v.store, id.prefix)
	switch obj, err := b.Head(ctx, key); {
	case err == nil:
		if have := obj.Metadata[capacityMeta]; have != strconv.FormatInt(size, 10) {
			return nil, status.Errorf(codes.AlreadyExists, "volume %q exists with capacity %s bytes, not %d", req.GetName(), have, size)
		}
	case errors.Is(err, storage.ErrNotFound):
		md[capacityMeta] = strconv.FormatInt(size, 10)
		if _, err := b.Put(ctx, key, bytes.NewReader(nil), storage.PutOptions{Metadata: md}); err != nil {
			return nil, storeError("creating the volume's prefix", err)
		}
	default:
		return nil, storeError("looking the volume up", err)
	}
	return d.created(req, id, size), nil
}

// created is the answer to a CreateVolume: the ID and, as the volume's
// context, the class's parameters less Kubernetes' own.
func (d *Driver) created(req *csipb.CreateVolumeRequest, id volumeID, size int64) *csipb.CreateVolumeResponse {
	vctx := map[string]string{}
	for k, val := range req.GetParameters() {
		if !strings.HasPrefix(k, "csi.storage.k8s.io/") {
			vctx[k] = val
		}
	}
	return &csipb.CreateVolumeResponse{Volume: &csipb.Volume{
		VolumeId: id.String(), CapacityBytes: size, VolumeContext: vctx,
	}}
}

// bucketName is the bucket of a volume of its own: the class's name
// prefix and the volume's name, in the characters bucket and container
// names allow (lower case letters, digits, single hyphens; 3 to 63). A
// long prefix is cut, never the volume's name, which keeps names unique.
func bucketName(prefix, volume string) string {
	clean := func(s string) string {
		var b strings.Builder
		for _, r := range strings.ToLower(s) {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
				b.WriteRune(r)
			case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
				b.WriteByte('-')
			}
		}
		return strings.Trim(b.String(), "-")
	}
	p, v := clean(prefix), clean(volume)
	if len(v) >= 62 || p == "" {
		return strings.Trim(v[max(0, len(v)-63):], "-")
	}
	if room := 63 - 1 - len(v); len(p) > room {
		p = strings.TrimRight(p[:room], "-")
	}
	return p + "-" + v
}

// DeleteVolume removes every object of the volume's prefix, unless the
// class keeps the data. A volume already gone, or not one this driver
// made, is deleted.
func (d *Driver) DeleteVolume(ctx context.Context, req *csipb.DeleteVolumeRequest) (*csipb.DeleteVolumeResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume ID missing")
	}
	id, ok := parseVolumeID(req.GetVolumeId())
	if !ok || id.retain {
		return &csipb.DeleteVolumeResponse{}, nil
	}
	b, err := d.storeOfID(ctx, id, req.GetSecrets())
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if id.ownBucket {
		bm, err := bucketMaker(b)
		if err != nil {
			return nil, err
		}
		if err := emptyPrefix(ctx, b, ""); err != nil {
			if errors.Is(err, storage.ErrNoBucket) {
				return &csipb.DeleteVolumeResponse{}, nil
			}
			return nil, storeError("emptying the volume's bucket", err)
		}
		if err := bm.DeleteBucket(ctx); err != nil {
			return nil, storeError("deleting the volume's bucket", err)
		}
		return &csipb.DeleteVolumeResponse{}, nil
	}
	if err := emptyPrefix(ctx, b, id.prefix+"/"); err != nil {
		return nil, storeError("emptying the volume's prefix", err)
	}
	key, _ := markerOf(id.store, id.prefix)
	if err := b.Delete(ctx, key); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, storeError("deleting the volume's marker", err)
	}
	return &csipb.DeleteVolumeResponse{}, nil
}

// bucketMaker is b's way to create and delete its bucket, for volumes of
// their own (bucketPerVolume).
func bucketMaker(b storage.Backend) (storage.BucketMaker, error) {
	bm, ok := b.(storage.BucketMaker)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this store cannot create or delete buckets: drop bucketPerVolume")
	}
	return bm, nil
}

// emptyPrefix deletes every object under prefix; errors are the store's.
func emptyPrefix(ctx context.Context, b storage.Backend, prefix string) error {
	lo := storage.ListOptions{Prefix: prefix, NoMetadata: true}
	for {
		page, err := b.List(ctx, lo)
		if err != nil {
			return err
		}
		for _, o := range page.Objects {
			if err := b.Delete(ctx, o.Key); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
		}
		if page.NextToken == "" {
			return nil
		}
		lo.ContinuationToken = page.NextToken
	}
}

// ValidateVolumeCapabilities confirms filesystem capabilities of a volume
// this driver made and that still exists.
func (d *Driver) ValidateVolumeCapabilities(ctx context.Context, req *csipb.ValidateVolumeCapabilitiesRequest) (*csipb.ValidateVolumeCapabilitiesResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, status.Error(codes.InvalidArgument, "volume ID missing")
	case len(req.GetVolumeCapabilities()) == 0:
		return nil, status.Error(codes.InvalidArgument, "volume capabilities missing")
	}
	id, ok := parseVolumeID(req.GetVolumeId())
	if !ok {
		return nil, status.Errorf(codes.NotFound, "volume %q was not made by this driver", req.GetVolumeId())
	}
	b, err := d.storeOfID(ctx, id, req.GetSecrets())
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if err := volumeExists(ctx, b, id); errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrNoBucket) {
		return nil, status.Errorf(codes.NotFound, "volume %q does not exist", req.GetVolumeId())
	} else if err != nil {
		return nil, storeError("looking the volume up", err)
	}
	for _, c := range req.GetVolumeCapabilities() {
		if _, err := checkCapability(c); err != nil {
			return &csipb.ValidateVolumeCapabilitiesResponse{Message: status.Convert(err).Message()}, nil
		}
	}
	return &csipb.ValidateVolumeCapabilitiesResponse{Confirmed: &csipb.ValidateVolumeCapabilitiesResponse_Confirmed{
		VolumeContext: req.GetVolumeContext(), VolumeCapabilities: req.GetVolumeCapabilities(),
		Parameters: req.GetParameters(),
	}}, nil
}

// volumeExists is nil when the volume's marker, or its own bucket, is
// there.
func volumeExists(ctx context.Context, b storage.Backend, id volumeID) error {
	if id.ownBucket {
		_, err := b.List(ctx, storage.ListOptions{MaxKeys: 1, NoMetadata: true})
		return err
	}
	key, _ := markerOf(id.store, id.prefix)
	_, err := b.Head(ctx, key)
	return err
}

// storeOfID opens the store of a provisioned volume with the Secret's
// credentials and endpoint.
func (d *Driver) storeOfID(ctx context.Context, id volumeID, secrets map[string]string) (storage.Backend, error) {
	v, err := parseVolume(nil, secrets)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	v.store, v.bucket, v.account, v.prefix = id.store, id.bucket, cmp.Or(id.account, v.account), ""
	return d.openStore(ctx, v)
}

// openStore opens v's store (the whole bucket) for the controller.
func (d *Driver) openStore(ctx context.Context, v volume) (storage.Backend, error) {
	v.prefix = ""
	cfg, err := v.config("", "", false)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	b, err := d.o.OpenStore(ctx, cfg)
	if err != nil {
		return nil, storeError("opening the store", err)
	}
	return b, nil
}

// markerOf is the directory marker of a prefix in the store's layout.
func markerOf(store, prefix string) (string, map[string]string) {
	if store == "azure" {
		return prefix, map[string]string{"hdi_isfolder": "true"}
	}
	return prefix + "/", map[string]string{}
}

// storeError maps a store error to a gRPC status.
func storeError(what string, err error) error {
	code := codes.Internal
	switch {
	case errors.Is(err, storage.ErrPermission):
		code = codes.PermissionDenied
	case errors.Is(err, storage.ErrNoBucket):
		code = codes.NotFound
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		code = codes.DeadlineExceeded
	}
	return status.Errorf(code, "%s: %v", what, err)
}

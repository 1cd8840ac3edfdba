//go:build linux

package csi

import (
	"cmp"
	"strings"
)

// The ID of a dynamically provisioned volume names its store and prefix,
// so DeleteVolume (which gets nothing else but the Secret) finds it:
//
//	v1|s3|<bucket>||<flags>|<prefix>
//	v1|azure|<container>|<account>|<flags>|<prefix>
//
// flags is a comma list of "retain" (DeleteVolume keeps the data) and
// "bucket" (the volume is a bucket of its own, and prefix is empty). The
// endpoint and
// region come from the Secret or the volume's attributes. A static
// volume's handle is whatever the PersistentVolume says; its attributes
// name the store.
type volumeID struct {
	store, bucket, account, prefix string
	retain, ownBucket              bool
}

const idVersion = "v1"

func (id volumeID) String() string {
	var flags []string
	if id.retain {
		flags = append(flags, "retain")
	}
	if id.ownBucket {
		flags = append(flags, "bucket")
	}
	return strings.Join([]string{idVersion, id.store, id.bucket, id.account, strings.Join(flags, ","), id.prefix}, "|")
}

// parseVolumeID reads an ID made by String; ok is false for any other
// handle (a static volume's).
func parseVolumeID(s string) (volumeID, bool) {
	f := strings.SplitN(s, "|", 6)
	if len(f) != 6 || f[0] != idVersion || (f[1] != "s3" && f[1] != "azure") || f[2] == "" {
		return volumeID{}, false
	}
	id := volumeID{store: f[1], bucket: f[2], account: f[3], prefix: f[5]}
	if f[4] != "" {
		for _, fl := range strings.Split(f[4], ",") {
			switch fl {
			case "retain":
				id.retain = true
			case "bucket":
				id.ownBucket = true
			default:
				return volumeID{}, false
			}
		}
	}
	if (id.prefix == "") != id.ownBucket {
		return volumeID{}, false
	}
	return id, true
}

// volumeOf is the volume a publish names: its attributes and Secret, with
// the store and prefix of a dynamically provisioned volume's ID where the
// attributes leave them out.
func volumeOf(handle string, attrs, secrets map[string]string) (volume, error) {
	v, err := parseVolume(attrs, secrets)
	if err != nil {
		return v, err
	}
	if id, ok := parseVolumeID(handle); ok {
		// The ID is the truth about where a provisioned volume lives;
		// its attributes may be empty.
		v.store, v.bucket, v.account, v.prefix = id.store, id.bucket, cmp.Or(id.account, v.account), id.prefix
	}
	if v.bucket == "" {
		return v, errNoBucket
	}
	return v, nil
}

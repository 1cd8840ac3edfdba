package storage

import (
	"errors"
	"testing"
)

func TestClassifyStatus(t *testing.T) {
	for _, c := range []struct {
		status int
		want   error
	}{
		{400, nil},
		{401, ErrPermission},
		{403, ErrPermission},
		{404, ErrNotFound},
		{409, ErrPrecondition},
		{412, ErrPrecondition},
		{413, ErrTooLarge},
		{416, ErrInvalidRange},
		{429, ErrThrottled},
		{500, nil},
		{501, ErrNotSupported},
		{503, ErrThrottled},
	} {
		if got := Classify(c.status, ""); !errors.Is(got, c.want) || (c.want == nil && got != nil) {
			t.Errorf("status %d: got %v, want %v", c.status, got, c.want)
		}
	}
}

func TestClassifyCodeWinsOverStatus(t *testing.T) {
	for _, c := range []struct {
		status int
		code   string
		want   error
	}{
		{404, "NoSuchBucket", ErrNoBucket},      // S3
		{404, "ContainerNotFound", ErrNoBucket}, // Azure
		{404, "FilesystemNotFound", ErrNoBucket},
		{409, "BlobAlreadyExists", ErrPrecondition},
		{400, "KeyTooLongError", ErrInvalidKey},
		{400, "InvalidMetadata", ErrNotSupported},
		{503, "SlowDown", ErrThrottled},
		{500, "XMinioServerNotInitialized", ErrThrottled},
		{400, "SomethingNew", nil},
		{403, "SomethingNew", ErrPermission},
	} {
		if got := Classify(c.status, c.code); got != c.want {
			t.Errorf("%d %s: got %v, want %v", c.status, c.code, got, c.want)
		}
	}
}

//go:build !linux

package cli

import (
	"context"
	"errors"
	"time"
)

// runCSI refuses: Kubernetes runs the driver's node service on Linux
// nodes, where FUSE mounts can be published into pods.
func (a *app) runCSI(context.Context, string, string, string, string, string, time.Duration) error {
	return errors.New("the CSI driver runs on Linux nodes only")
}

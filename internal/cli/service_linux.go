package cli

import (
	"context"
	"errors"
)

// errNoService explains the service commands that have no meaning on
// Linux.
var errNoService = errors.New("on Linux there is no cloudfuse service: each mount kept at boot is a systemd unit " +
	"of its own (cloudfuse service mount <path> --config-file=<file>, or mount --enable-remount-system)")

func (a *app) serviceInstall(context.Context) (string, error)   { return "", errNoService }
func (a *app) serviceUninstall(context.Context) (string, error) { return "", errNoService }
func (a *app) serviceStart(context.Context) (string, error)     { return "", errNoService }
func (a *app) serviceStop(context.Context) (string, error)      { return "", errNoService }
func (a *app) serviceRun(context.Context) error                 { return errNoService }

// remountUserMounts has nothing to do on Linux: systemd starts the user
// units --enable-remount-user writes at login.
func (a *app) remountUserMounts(context.Context) error { return errNoService }

package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// serviceName is the Windows service's name.
const serviceName = "cloudfuse"

// serviceInstall installs the service, started at boot, running
// `cloudfuse service run`, and registers its event log source.
func (a *app) serviceInstall(context.Context) (string, error) {
	exe, err := a.executable()
	if err != nil {
		return "", err
	}
	m, err := mgr.Connect()
	if err != nil {
		return "", fmt.Errorf("the service manager (run as an administrator): %w", err)
	}
	defer m.Disconnect()
	if s, err := m.OpenService(serviceName); err == nil {
		s.Close()
		return "the cloudfuse service is already installed", nil
	}
	s, err := m.CreateService(serviceName, exe, mgr.Config{
		StartType:   mgr.StartAutomatic,
		DisplayName: "cloudfuse",
		Description: "Mounts the S3 buckets and Azure containers recorded by cloudfuse service mount.",
	}, "service", "run")
	if err != nil {
		return "", fmt.Errorf("installing the service: %w", err)
	}
	defer s.Close()
	if err := eventlog.InstallAsEventCreate(eventSource, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil {
		return "", fmt.Errorf("registering the event log source: %w", err)
	}
	return "installed the cloudfuse service; it starts at boot (cloudfuse service start starts it now)", nil
}

// serviceUninstall stops and removes the service.
func (a *app) serviceUninstall(ctx context.Context) (string, error) {
	m, err := mgr.Connect()
	if err != nil {
		return "", fmt.Errorf("the service manager (run as an administrator): %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(serviceName)
	if err != nil {
		return "the cloudfuse service is not installed", nil
	}
	defer s.Close()
	_, _ = a.serviceStop(ctx)
	if err := s.Delete(); err != nil {
		return "", fmt.Errorf("removing the service: %w", err)
	}
	_ = eventlog.Remove(eventSource)
	return "removed the cloudfuse service; recorded mounts stay in the registry", nil
}

func (a *app) serviceStart(context.Context) (string, error) {
	return withService(func(s *mgr.Service) (string, error) {
		if err := s.Start(); err != nil {
			return "", fmt.Errorf("starting the service: %w", err)
		}
		return "started the cloudfuse service", nil
	})
}

func (a *app) serviceStop(context.Context) (string, error) {
	return withService(func(s *mgr.Service) (string, error) {
		st, err := s.Control(svc.Stop)
		if err != nil {
			return "", fmt.Errorf("stopping the service: %w", err)
		}
		for i := 0; i < 120 && st.State != svc.Stopped; i++ {
			time.Sleep(500 * time.Millisecond)
			if st, err = s.Query(); err != nil {
				break
			}
		}
		return "stopped the cloudfuse service", nil
	})
}

func withService(f func(*mgr.Service) (string, error)) (string, error) {
	m, err := mgr.Connect()
	if err != nil {
		return "", fmt.Errorf("the service manager: %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(serviceName)
	if err != nil {
		return "", fmt.Errorf("the cloudfuse service is not installed (cloudfuse service install): %w", err)
	}
	defer s.Close()
	return f(s)
}

// serviceRun is the service itself: at start it mounts every mount of the
// system list, each in its own daemon as `cloudfuse mount` does; at stop
// it unmounts them.
func (a *app) serviceRun(ctx context.Context) error {
	return svc.Run(serviceName, &winService{a: a, ctx: ctx})
}

type winService struct {
	a   *app
	ctx context.Context
}

func (w *winService) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	log, closer, _ := openSystemLog()
	if closer != nil {
		defer closer.Close()
	}
	note := func(msg string) {
		if log != nil {
			_ = log.Info(msg)
		}
	}
	entries, err := remountEntries(remountSystem)
	if err != nil {
		note("reading the recorded mounts: " + err.Error())
	}
	for _, e := range entries {
		if err := w.a.runArgs(w.ctx, e.mountArgs(), io.Discard, io.Discard); err != nil {
			note(fmt.Sprintf("mounting %s: %v", e.MountPath, err))
		} else {
			note("mounted " + e.MountPath)
		}
	}
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for c := range req {
		switch c.Cmd {
		case svc.Interrogate:
			status <- c.CurrentStatus
		case svc.Stop, svc.Shutdown:
			status <- svc.Status{State: svc.StopPending}
			for _, e := range entries {
				if err := w.a.runArgs(w.ctx, []string{"unmount", e.MountPath}, io.Discard, io.Discard); err != nil {
					note(fmt.Sprintf("unmounting %s: %v", e.MountPath, err))
				}
			}
			return false, 0
		}
	}
	return false, 0
}

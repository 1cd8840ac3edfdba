package cli

import (
	"io"

	"golang.org/x/sys/windows/svc/eventlog"
)

// eventSource is the event log source cloudfuse writes as ("service
// install" registers it).
const eventSource = "cloudfuse"

// openSystemLog opens the Windows event log, where Linux uses syslog.
func openSystemLog() (syslogWriter, io.Closer, error) {
	l, err := eventlog.Open(eventSource)
	if err != nil {
		return nil, nil, err
	}
	return eventWriter{l}, l, nil
}

// eventWriter gives the event log syslog's levels.
type eventWriter struct{ l *eventlog.Log }

const eventID = 1

func (w eventWriter) Crit(m string) error    { return w.l.Error(eventID, m) }
func (w eventWriter) Err(m string) error     { return w.l.Error(eventID, m) }
func (w eventWriter) Warning(m string) error { return w.l.Warning(eventID, m) }
func (w eventWriter) Info(m string) error    { return w.l.Info(eventID, m) }
func (w eventWriter) Debug(m string) error   { return w.l.Info(eventID, m) }

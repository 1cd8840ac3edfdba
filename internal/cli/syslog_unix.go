//go:build unix

package cli

import (
	"io"
	"log/syslog"
)

// openSystemLog opens syslog, as the daemon facility, tag cloudfuse.
func openSystemLog() (syslogWriter, io.Closer, error) {
	w, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, "cloudfuse")
	if err != nil {
		return nil, nil, err
	}
	return w, w, nil
}

package cli

import "github.com/a9de3765/cloudfuse/internal/mounttab"

// mountTable lists the mounts of this machine: the kernel's mount table.
func (a *app) mountTable() ([]mounttab.Entry, error) { return mounttab.Read(a.mountinfo) }

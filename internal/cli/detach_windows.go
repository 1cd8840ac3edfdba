package cli

import "errors"

// detachMount cannot detach a busy mount on Windows: WinFsp ends a mount
// when its daemon stops serving it.
func detachMount(string) error {
	return errors.New("a busy mount cannot be detached on Windows; close the files open in it")
}

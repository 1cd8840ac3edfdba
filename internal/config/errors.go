package config

import (
	"errors"
	"fmt"
)

// Error is a configuration value that cannot be used. Origin says where the
// value came from: "config.yaml:12" for a line of the file, "--flag-name"
// for a flag, "$NAME" for an environment variable, "" for a default.
type Error struct {
	Origin string
	Key    string // dotted key, e.g. "file_cache.timeout-sec"; "" for a file-level problem
	Msg    string
}

func (e *Error) Error() string {
	switch {
	case e.Origin != "" && e.Key != "":
		return fmt.Sprintf("%s: %s: %s", e.Origin, e.Key, e.Msg)
	case e.Origin != "":
		return fmt.Sprintf("%s: %s", e.Origin, e.Msg)
	case e.Key != "":
		return fmt.Sprintf("%s: %s", e.Key, e.Msg)
	default:
		return e.Msg
	}
}

// Warning is a problem Load tolerated, such as an unknown key. Origin is
// "file:line" as for Error.
type Warning struct {
	Origin string
	Key    string
	Msg    string
}

func (w Warning) String() string {
	e := Error(w)
	return e.Error()
}

// NoFileError is returned by Load when the configuration file does not
// exist. Its message shows a minimal configuration to write.
type NoFileError struct {
	Path string
}

// MinimalExample is the smallest useful configuration, in flow style so it
// fits on the one line of an error message.
const MinimalExample = `"components: [libfuse, file_cache, attr_cache, s3storage]" and ` +
	`"s3storage: {bucket-name: BUCKET, region: REGION}"`

func (e *NoFileError) Error() string {
	return fmt.Sprintf("config file %s not found; a minimal one has two lines: %s", e.Path, MinimalExample)
}

// KeyError blames one key (or a command-line operand such as
// "mount-path") for Err without changing its message, so a form can show
// the error beside the field that holds the key.
type KeyError struct {
	Key string
	Err error
}

func (e KeyError) Error() string { return e.Err.Error() }
func (e KeyError) Unwrap() error { return e.Err }

// BlameKey returns err blamed on key; nil stays nil.
func BlameKey(key string, err error) error {
	if err == nil {
		return nil
	}
	return KeyError{Key: key, Err: err}
}

// BlamedKey returns the key err is blamed on: a KeyError's, else an
// Error's; "" when none.
func BlamedKey(err error) string {
	var ke KeyError
	if errors.As(err, &ke) {
		return ke.Key
	}
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Key
	}
	return ""
}

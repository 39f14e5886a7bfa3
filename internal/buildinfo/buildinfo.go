// Package buildinfo says which build of vonage is running: the module
// version and the VCS commit the Go toolchain stamps into every binary
// (runtime/debug.ReadBuildInfo). GET /version, the metrics' build info and
// `vonage version` all read it here, so they always agree.
package buildinfo

import (
	"runtime/debug"
	"sync"
)

// Info is what GET /version answers.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// Unknown stands for a value the build did not record (go test binaries,
// builds outside a VCS checkout).
const Unknown = "unknown"

var read = sync.OnceValue(func() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: Unknown, Commit: Unknown}
	}
	return FromBuildInfo(bi)
})

// Get returns the running binary's version and commit.
func Get() Info { return read() }

// FromBuildInfo picks the version and commit out of bi: the main module's
// version ("(devel)" for a build from a checkout becomes "devel") and the
// vcs.revision setting, with "-dirty" when vcs.modified says the tree had
// uncommitted changes.
func FromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Version: bi.Main.Version, Commit: Unknown}
	switch info.Version {
	case "":
		info.Version = Unknown
	case "(devel)":
		info.Version = "devel"
	}
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && info.Commit != Unknown {
		info.Commit += "-dirty"
	}
	return info
}

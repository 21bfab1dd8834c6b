// Package registry lists the formats Breakwater reads. Adding a format is
// its own package and one line here; nothing else names a format.
package registry

import (
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/formats/ckbk"
	"github.com/breakwater-dev/breakwater/internal/formats/tray"
	"github.com/breakwater-dev/breakwater/internal/formats/vnext"
)

// Default is every format, in detection order. It is cheap: formats that
// need expensive set-up (compiled schemas) do it on first use.
func Default() *formats.Registry {
	return formats.NewRegistry(
		tray.New(),
		ckbk.New(),
		vnext.New(),
	)
}

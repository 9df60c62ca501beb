//go:build !linux

package main

import (
	"os/exec"
	"time"
)

// setParentDeathSignal is Linux only; elsewhere pollbench relies on its
// own cleanup.
func setParentDeathSignal(*exec.Cmd) {}

// cpuTime is not measured outside Linux.
func cpuTime(int) (time.Duration, bool) { return 0, false }

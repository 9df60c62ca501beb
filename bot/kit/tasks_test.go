package kit_test

import (
	"sync/atomic"
	"testing"

	"github.com/pollbot/pollbot/bot/kit"
)

func TestTasks(t *testing.T) {
	var ts kit.Tasks
	release := make(chan struct{})
	var done atomic.Int32
	ts.Go(func() { <-release; done.Add(1) })
	stopped := make(chan struct{})
	go func() { ts.Stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while a task was still running")
	default:
	}
	close(release)
	<-stopped
	if done.Load() != 1 {
		t.Fatal("the running task did not finish before Stop returned")
	}
	// After Stop, work runs inline: it is done when Go returns.
	ts.Go(func() { done.Add(1) })
	if done.Load() != 2 {
		t.Error("work started after Stop did not run inline")
	}
}

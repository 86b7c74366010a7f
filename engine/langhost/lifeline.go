package main

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
)

// children are the node processes this host started (programs, policy
// packs); they go with the host when the engine does.
var children = struct {
	sync.Mutex
	procs map[*exec.Cmd]struct{}
}{procs: map[*exec.Cmd]struct{}{}}

// track starts cmd and remembers it until it exits.
func track(cmd *exec.Cmd) error {
	children.Lock()
	defer children.Unlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	children.procs[cmd] = struct{}{}
	return nil
}

// untrack forgets cmd once it has exited.
func untrack(cmd *exec.Cmd) {
	children.Lock()
	defer children.Unlock()
	delete(children.procs, cmd)
}

// exitWithEngine ends the host, and every process it started, when the
// engine is gone. Pulumi's own hosts health-check the engine's gRPC address
// every five minutes, so a killed `pulumi up` leaves them running that long.
// The engine is our parent: a change of parent says it died, at once; a
// health check each second covers an engine that died before we started.
func exitWithEngine(engineAddress string) {
	ctx, cancel := context.WithCancel(context.Background())
	if engineAddress != "" {
		_ = rpcutil.Healthcheck(ctx, engineAddress, time.Second, cancel)
	}
	parent := os.Getppid()
	go func() {
		defer cancel()
		ticker := time.NewTicker(250 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-ticker.C:
				if os.Getppid() == parent {
					continue
				}
			case <-ctx.Done():
			}
			children.Lock()
			for cmd := range children.procs {
				_ = cmd.Process.Kill()
			}
			os.Exit(1)
		}
	}()
}

// Command pulumi-language-nodejs is flow-nexus's Node.js language host.
//
// The Pulumi CLI runs a program through a language host: a plugin that serves
// the LanguageRuntime gRPC protocol and starts the program's own runtime. The
// official Node.js host is published as an untagged Go module that the module
// proxy reachable here does not serve, so the engine bootstrap builds this one
// next to the CLI. It starts the same entry points that @pulumi/pulumi ships
// (cmd/run for programs, cmd/run-policy-pack for policy packs, cmd/run-plugin
// for plugins), resolved from the program's own node_modules.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// version is stamped by the bootstrap with -ldflags; it is reported to the
// engine as the plugin's version.
var version = "0.0.0-dev"

func main() {
	// The engine may pass flags it gives every plugin (tracing, logging);
	// the one argument we need, the engine's address, always comes last.
	engineAddress := ""
	for _, arg := range os.Args[1:] {
		if !strings.HasPrefix(arg, "-") {
			engineAddress = arg
		}
	}

	exitWithEngine(engineAddress)

	node, err := exec.LookPath("node")
	if err != nil {
		fatal(fmt.Errorf("could not find node on the PATH: %w", err))
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &host{node: node, engineAddress: engineAddress})
			return nil
		},
	})
	if err != nil {
		fatal(fmt.Errorf("could not start the language host's gRPC server: %w", err))
	}

	// The engine reads the port from our first line of output.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fatal(fmt.Errorf("language host stopped serving: %w", err))
	}
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
	os.Exit(1)
}

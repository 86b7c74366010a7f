package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// RunPlugin starts a plugin written in Node.js: a policy pack (kind
// "analyzer") or a resource provider. Its output is streamed back, because
// the engine reads the plugin's port from its stdout.
func (h *host) RunPlugin(
	req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	info := req.GetInfo()
	dir := info.GetProgramDirectory()
	opts := parseOptions(info)

	entry := "run-plugin"
	if req.GetKind() == "analyzer" {
		entry = "run-policy-pack"
	}
	runner, err := sdkEntryPoint(dir, entry)
	if err != nil {
		return err
	}
	// Both entry points take the engine's arguments first and the plugin's
	// directory last.
	args := append(append([]string{}, opts.nodeArgs...), runner)
	args = append(args, req.GetArgs()...)
	args = append(args, dir)

	cmd := exec.CommandContext(server.Context(), h.node, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), opts.env(info.GetRootDirectory())...), req.GetEnv()...)

	code, err := stream(cmd,
		func(b []byte) error {
			return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
		},
		func(b []byte) error {
			return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
		})
	if err != nil {
		return err
	}
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

// InstallDependencies runs `npm install` for a program or policy pack.
func (h *host) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetDirectory() //nolint:staticcheck // older engines send only this
	}
	cmd := exec.CommandContext(server.Context(), "npm", "install", "--no-audit", "--no-fund")
	cmd.Dir = dir
	code, err := stream(cmd,
		func(b []byte) error { return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: b}) },
		func(b []byte) error { return server.Send(&pulumirpc.InstallDependenciesResponse{Stderr: b}) })
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("npm install in %s exited with code %d", dir, code)
	}
	return nil
}

// stream runs cmd, handing each chunk of its stdout and stderr to the given
// senders as it arrives, and returns its exit code.
func stream(cmd *exec.Cmd, sendOut, sendErr func([]byte) error) (int32, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, err
	}
	if err := track(cmd); err != nil {
		return 0, err
	}
	defer untrack(cmd)

	// gRPC streams allow one sender at a time.
	var mu sync.Mutex
	var wg sync.WaitGroup
	pump := func(r io.Reader, send func([]byte) error) {
		defer wg.Done()
		buf := make([]byte, 32*1024)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				mu.Lock()
				_ = send(append([]byte(nil), buf[:n]...))
				mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}
	wg.Add(2)
	go pump(stdout, sendOut)
	go pump(stderr, sendErr)
	wg.Wait()

	if err := cmd.Wait(); err != nil {
		if exitErr, ok := err.(*exec.ExitError); ok {
			return int32(exitErr.ExitCode()), nil
		}
		return 0, err
	}
	return 0, nil
}

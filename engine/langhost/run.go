package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// exitAfterReportedError is the exit code @pulumi/pulumi uses when the
// program failed and has already told the user why: the engine must bail
// without adding a generic message of its own.
const exitAfterReportedError = 32

// Run executes a Pulumi program: node, @pulumi/pulumi's cmd/run, and the
// program's entry point, with the stack's config in the environment.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := info.GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetPwd()
	}
	runner, err := sdkEntryPoint(programDir, "run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	opts := parseOptions(info)

	args := append(append([]string{}, opts.nodeArgs...), runner)
	flag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flag("monitor", req.GetMonitorAddress())
	flag("engine", h.engineAddress)
	flag("organization", req.GetOrganization())
	flag("project", req.GetProject())
	flag("stack", req.GetStack())
	flag("pwd", req.GetPwd())
	flag("root-directory", info.GetRootDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flag("parallel", fmt.Sprint(req.GetParallel()))
	args = append(args, entryPoint(req.GetPwd(), programDir, info.GetEntryPoint()))
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, fmt.Errorf("serializing the stack's config: %w", err)
	}
	secretKeys, err := json.Marshal(append([]string{}, req.GetConfigSecretKeys()...))
	if err != nil {
		return nil, fmt.Errorf("serializing the stack's secret config keys: %w", err)
	}

	cmd := exec.CommandContext(ctx, h.node, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(os.Environ(), opts.env(info.GetRootDirectory())...)
	cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	// The engine shows whatever the language host prints, so the program's
	// output goes straight through.
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr

	var exitErr *exec.ExitError
	err = track(cmd)
	if err == nil {
		err = cmd.Wait()
		untrack(cmd)
	}
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == exitAfterReportedError:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exitErr):
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
		}, nil
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not start node: %v", err)}, nil
	}
}

// entryPoint names the program for cmd/run, relative to the working
// directory. "." keeps Node's own resolution (package.json "main", then
// index), which cmd/run applies only to that exact argument.
func entryPoint(pwd, programDir, entry string) string {
	if entry == "" {
		entry = "."
	}
	full := filepath.Join(programDir, entry)
	rel, err := filepath.Rel(pwd, full)
	if err != nil {
		return full
	}
	if rel == "." {
		return "."
	}
	return "./" + filepath.ToSlash(rel)
}

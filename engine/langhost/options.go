package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// runtimeOptions are the `runtime.options` of Pulumi.yaml (or
// PulumiPolicy.yaml) that change how Node.js is started.
type runtimeOptions struct {
	typescript bool     // load ts-node before the program (default true)
	tsconfig   string   // tsconfig path for ts-node, relative to the program
	nodeArgs   []string // extra arguments for node itself
}

func parseOptions(info *pulumirpc.ProgramInfo) runtimeOptions {
	opts := runtimeOptions{typescript: true}
	fields := info.GetOptions().GetFields()
	if v, ok := fields["typescript"]; ok {
		opts.typescript = v.GetBoolValue()
	}
	if v, ok := fields["tsconfig"]; ok {
		opts.tsconfig = v.GetStringValue()
	}
	if v, ok := fields["nodeargs"]; ok {
		opts.nodeArgs = strings.Fields(v.GetStringValue())
	}
	return opts
}

// env is what the @pulumi/pulumi entry points read to honour the options.
// As Pulumi's own host does, it names a tsconfig only when the options do:
// otherwise ts-node reads the program folder's own tsconfig.json (that folder
// is cmd/run's working directory), so a program runs here as it runs there.
func (o runtimeOptions) env(rootDir string) []string {
	env := []string{fmt.Sprintf("PULUMI_NODEJS_TYPESCRIPT=%t", o.typescript)}
	if tsconfig := o.tsconfig; tsconfig != "" {
		if !filepath.IsAbs(tsconfig) {
			tsconfig = filepath.Join(rootDir, tsconfig)
		}
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}
	return env
}

// sdkEntryPoint finds @pulumi/pulumi's cmd/<name> the way Node's require
// would from dir: in the nearest node_modules above it.
func sdkEntryPoint(dir, name string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, "node_modules", "@pulumi", "pulumi", "cmd", name)
		if _, err := os.Stat(filepath.Join(candidate, "index.js")); err == nil {
			return candidate, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf(
				"@pulumi/pulumi is not installed for %s (no node_modules/@pulumi/pulumi/cmd/%s above it): "+
					"run `npm install` there first", dir, name)
		}
	}
}

// Command cnirun drives CNI plugins the way a container runtime does: through libcni, the library that
// containerd, CRI-O and podman embed (here Debian's golang-github-appc-cni-dev, libcni 1.1.2, spec <= 1.0.0).
// It is test tooling for wincni's interop test (interop/run.sh), not part of the plugin.
//
//	cnirun [options] add|check|del|cached|version|validate CONFIG
//
// CONFIG is a .conflist, or a single-plugin .conf/.json file, which is wrapped into a one-plugin list as
// runtimes do. On success `add` prints the result libcni parsed (in the list's cniVersion) and `cached` prints
// the result libcni cached for the attachment, converted to the list's version; `validate` runs libcni's
// ValidateNetworkList (each plugin's VERSION answer must include the list's cniVersion). On failure one JSON object
// goes to stdout — {"code":N,"msg":…,"details":…} when a plugin reported the error, {"msg":…} when libcni
// itself refused — and the exit code is 1. Usage errors exit 2.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"
)

type options struct {
	pluginDirs string
	cacheDir   string
	id         string
	netns      string
	ifname     string
	cniArgs    string
	capArgs    string
	trace      string
	verify     bool
}

func main() {
	var o options
	flags := flag.NewFlagSet("cnirun", flag.ContinueOnError)
	flags.StringVar(&o.pluginDirs, "path", os.Getenv("CNI_PATH"), "plugin directories, colon-separated")
	flags.StringVar(&o.cacheDir, "cache", libcni.CacheDir, "libcni cache directory (results/ goes below it)")
	flags.StringVar(&o.id, "id", "cnirun", "container ID")
	flags.StringVar(&o.netns, "netns", "", "network namespace path passed as CNI_NETNS")
	flags.StringVar(&o.ifname, "ifname", "eth0", "interface name")
	flags.StringVar(&o.cniArgs, "args", "", "CNI_ARGS as K=V;K2=V2")
	flags.StringVar(&o.capArgs, "cap", "", "capability arguments as a JSON object, e.g. {\"dns\":{…}}")
	flags.StringVar(&o.trace, "trace", "", "append one JSON line per plugin execution to this file")
	flags.BoolVar(&o.verify, "verify", false, "add: also check the result's structure (IPs present, interface indexes valid)")
	flags.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: cnirun [options] add|check|del|cached|version|validate CONFIG")
		flags.PrintDefaults()
	}
	// Parse has already printed the usage for -h and for a bad option; -h is not an error.
	if err := flags.Parse(os.Args[1:]); errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	} else if err != nil {
		os.Exit(2)
	}
	if flags.NArg() != 2 {
		flags.Usage()
		os.Exit(2)
	}
	out, err := run(context.Background(), &o, flags.Arg(0), flags.Arg(1))
	if err != nil {
		fail(err)
	}
	if out != "" {
		fmt.Println(out)
	}
}

func run(ctx context.Context, o *options, verb, configPath string) (string, error) {
	list, err := loadList(configPath)
	if err != nil {
		return "", err
	}
	rt, err := runtimeConf(o)
	if err != nil {
		return "", err
	}
	var exec invoke.Exec = &invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: os.Stderr}}
	if o.trace != "" {
		exec = &tracingExec{Exec: exec, file: o.trace}
	}
	cni := libcni.NewCNIConfigWithCacheDir(filepath.SplitList(o.pluginDirs), o.cacheDir, exec)

	switch verb {
	case "add":
		result, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			return "", err
		}
		if o.verify {
			if err := verifyResult(result, list.CNIVersion); err != nil {
				return "", err
			}
		}
		return marshal(result)
	case "check":
		return "", cni.CheckNetworkList(ctx, list, rt)
	case "del":
		return "", cni.DelNetworkList(ctx, list, rt)
	case "cached":
		result, err := cni.GetNetworkListCachedResult(list, rt)
		if err != nil {
			return "", err
		}
		if result == nil {
			return "", fmt.Errorf("no cached result for %s/%s/%s", list.Name, rt.ContainerID, rt.IfName)
		}
		return marshal(result)
	case "version":
		var lines []string
		for _, plugin := range list.Plugins {
			info, err := cni.GetVersionInfo(ctx, plugin.Network.Type)
			if err != nil {
				return "", err
			}
			lines = append(lines, plugin.Network.Type+": "+strings.Join(info.SupportedVersions(), " "))
		}
		return strings.Join(lines, "\n"), nil
	case "validate":
		capabilities, err := cni.ValidateNetworkList(ctx, list)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("valid: cniVersion %s, capabilities %v", list.CNIVersion, capabilities), nil
	}
	return "", usageError(fmt.Sprintf("unknown command %q", verb))
}

// loadList reads a conflist, or a single plugin config that it turns into a list as libcni-based runtimes do.
func loadList(path string) (*libcni.NetworkConfigList, error) {
	if strings.HasSuffix(path, ".conflist") {
		return libcni.ConfListFromFile(path)
	}
	conf, err := libcni.ConfFromFile(path)
	if err != nil {
		return nil, err
	}
	return libcni.ConfListFromConf(conf)
}

func runtimeConf(o *options) (*libcni.RuntimeConf, error) {
	rt := &libcni.RuntimeConf{ContainerID: o.id, NetNS: o.netns, IfName: o.ifname}
	if o.cniArgs != "" {
		for _, pair := range strings.Split(o.cniArgs, ";") {
			key, value, ok := strings.Cut(pair, "=")
			if !ok {
				return nil, usageError(fmt.Sprintf("-args: %q is not K=V", pair))
			}
			rt.Args = append(rt.Args, [2]string{key, value})
		}
	}
	if o.capArgs != "" {
		if err := json.Unmarshal([]byte(o.capArgs), &rt.CapabilityArgs); err != nil {
			return nil, usageError(fmt.Sprintf("-cap: %v", err))
		}
	}
	return rt, nil
}

// verifyResult checks what a runtime relies on in an ADD result: the version it asked for, at least one IP, and
// interface indexes that point into the interface list.
func verifyResult(result types.Result, want string) error {
	if result.Version() != want {
		return fmt.Errorf("result has cniVersion %q, the config asked for %q", result.Version(), want)
	}
	current, err := types100.NewResultFromResult(result)
	if err != nil {
		return fmt.Errorf("result does not convert to %s: %w", types100.ImplementedSpecVersion, err)
	}
	if len(current.IPs) == 0 {
		return errors.New("result has no IPs")
	}
	for i, ip := range current.IPs {
		if ip.Interface != nil && (*ip.Interface < 0 || *ip.Interface >= len(current.Interfaces)) {
			return fmt.Errorf("ips[%d].interface = %d, but there are %d interfaces", i, *ip.Interface, len(current.Interfaces))
		}
		if ip.Gateway != nil && !ip.Address.Contains(ip.Gateway) {
			return fmt.Errorf("ips[%d].gateway %s is outside %s", i, ip.Gateway, ip.Address.String())
		}
	}
	return nil
}

func marshal(result types.Result) (string, error) {
	var buf bytes.Buffer
	if err := result.PrintTo(&buf); err != nil {
		return "", err
	}
	return strings.TrimSpace(buf.String()), nil
}

type usageError string

func (e usageError) Error() string { return string(e) }

// fail prints the error as one JSON object on stdout, keeping a plugin's code, message and details intact.
func fail(err error) {
	var pluginErr *types.Error
	var usage usageError
	switch {
	case errors.As(err, &pluginErr):
		// libcni wraps plugin errors ("plugin type=… failed (add): …"); the plugin's own error is what counts.
		printJSON(pluginErr)
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "cnirun:", usage)
		os.Exit(2)
	default:
		printJSON(map[string]string{"msg": err.Error()})
	}
	fmt.Fprintln(os.Stderr, "cnirun:", err)
	os.Exit(1)
}

func printJSON(v interface{}) {
	data, _ := json.Marshal(v)
	fmt.Println(string(data))
}

// tracingExec records every plugin execution libcni makes — the stdin it built (prevResult, runtimeConfig,
// injected name and cniVersion), the command, and what the plugin printed — so the test can assert on them.
type tracingExec struct {
	invoke.Exec
	file string
	mu   sync.Mutex
}

type traceRecord struct {
	Command     string          `json:"command"`
	Plugin      string          `json:"plugin"`
	ContainerID string          `json:"containerID"`
	Netns       string          `json:"netns"`
	Stdin       json.RawMessage `json:"stdin"`
	Stdout      string          `json:"stdout"`
	Error       string          `json:"error,omitempty"`
}

func (t *tracingExec) ExecPlugin(ctx context.Context, path string, stdin []byte, environ []string) ([]byte, error) {
	out, err := t.Exec.ExecPlugin(ctx, path, stdin, environ)
	rec := traceRecord{Plugin: filepath.Base(path), Stdout: string(out)}
	if json.Valid(stdin) {
		rec.Stdin = stdin
	} else {
		rec.Stdin, _ = json.Marshal(string(stdin))
	}
	for _, kv := range environ {
		key, value, _ := strings.Cut(kv, "=")
		switch key {
		case "CNI_COMMAND":
			rec.Command = value
		case "CNI_CONTAINERID":
			rec.ContainerID = value
		case "CNI_NETNS":
			rec.Netns = value
		}
	}
	if err != nil {
		rec.Error = err.Error()
	}
	t.write(rec)
	return out, err
}

func (t *tracingExec) Decode(data []byte) (version.PluginInfo, error) { return t.Exec.Decode(data) }

func (t *tracingExec) write(rec traceRecord) {
	t.mu.Lock()
	defer t.mu.Unlock()
	line, err := json.Marshal(rec)
	if err != nil {
		return
	}
	f, err := os.OpenFile(t.file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cnirun: trace:", err)
		return
	}
	defer f.Close()
	_, _ = f.Write(append(line, '\n'))
}

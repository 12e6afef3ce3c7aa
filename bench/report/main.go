// Command report runs every kefu benchmark (`go test -bench -json`, one
// package at a time), prints one table of figures against their baselines
// and goals, and writes bench/results.json and bench/chart.svg. With
// -profile it also profiles the web round trip and the persisted turn. It
// is what `make bench` runs, from the module's root; bench/README.md
// explains every figure.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	out := flag.String("out", "bench", "directory for results.json and chart.svg")
	profile := flag.Bool("profile", false, "also profile the web round trip and the persisted turn (CPU and memory) into -out/profiles")
	raw := flag.String("raw", "", "keep the raw `go test -json` streams in this directory")
	replay := flag.String("replay", "", "parse the raw streams kept in this directory instead of running the benchmarks")
	flag.Parse()
	if err := run(*out, *raw, *replay, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// A run is one `go test` invocation; the bench package's benchmarks
// measure for a fixed time, so they run once.
type testRun struct {
	name string
	args []string
}

func runs() ([]testRun, error) {
	out, err := exec.Command("go", "list", "./...").Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	var pkgs []string
	for _, p := range strings.Fields(string(out)) {
		// bench itself measures for a fixed time per iteration: run once,
		// below; bench/anatomy's micro-benchmarks run with the rest.
		if !strings.HasSuffix(p, "/bench") && !strings.HasSuffix(p, "/bench/report") {
			pkgs = append(pkgs, p)
		}
	}
	base := []string{"test", "-json", "-run", "^$", "-bench", ".", "-count", "1", "-p", "1", "-timeout", "20m"}
	return []testRun{
		{"packages", append(append(slices.Clone(base), "-benchmem"), pkgs...)},
		{"e2e", append(slices.Clone(base), "-benchtime", "1x", "./bench")},
	}, nil
}

func run(outDir, rawDir, replayDir string, profile bool) error {
	began := time.Now()
	cpu0, _ := machineCPU()
	load0 := loadAverage()
	trs, err := runs()
	if err != nil {
		return err
	}
	var all []result
	meta := map[string]string{}
	var failures []string
	for _, tr := range trs {
		var stream io.Reader
		if replayDir != "" {
			f, err := os.Open(filepath.Join(replayDir, tr.name+".json"))
			if err != nil {
				return err
			}
			defer f.Close()
			stream = f
		} else {
			fmt.Fprintf(os.Stderr, "== go %s\n", strings.Join(tr.args, " "))
			cmd := exec.Command("go", tr.args...)
			cmd.Stderr = os.Stderr
			pipe, err := cmd.StdoutPipe()
			if err != nil {
				return err
			}
			if err := cmd.Start(); err != nil {
				return err
			}
			stream = pipe
			if rawDir != "" {
				if err := os.MkdirAll(rawDir, 0o755); err != nil {
					return err
				}
				f, err := os.Create(filepath.Join(rawDir, tr.name+".json"))
				if err != nil {
					return err
				}
				defer f.Close()
				stream = io.TeeReader(pipe, f)
			}
			rs, fails, err := parseStream(stream, os.Stderr, meta)
			if err != nil {
				return err
			}
			if err := cmd.Wait(); err != nil {
				fails = append(fails, fmt.Sprintf("go test (%s): %v", tr.name, err))
			}
			all, failures = append(all, rs...), append(failures, fails...)
			continue
		}
		rs, fails, err := parseStream(stream, io.Discard, meta)
		if err != nil {
			return err
		}
		all, failures = append(all, rs...), append(failures, fails...)
	}

	rep := buildReport(all, meta)
	rep.Failures = failures
	rep.Seconds = time.Since(began).Seconds()
	if replayDir != "" {
		rep.Seconds = 0
	} else {
		rep.Machine = machineShare(cpu0, rep.Seconds)
		rep.Machine.LoadBefore, rep.Machine.LoadAfter = load0, loadAverage()
	}
	printReport(os.Stdout, rep)
	if err := writeJSON(filepath.Join(outDir, "results.json"), rep); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(outDir, "chart.svg"), chartSVG(rep), 0o644); err != nil {
		return err
	}
	fmt.Printf("\nwrote %s and %s\n", filepath.Join(outDir, "results.json"), filepath.Join(outDir, "chart.svg"))
	if profile {
		if err := profiles(filepath.Join(outDir, "profiles")); err != nil {
			return err
		}
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d benchmark failures:\n%s", len(failures), strings.Join(failures, "\n"))
	}
	return nil
}

// result is one benchmark's line.
type result struct {
	Pkg        string             `json:"package"`
	Name       string             `json:"name"` // without the -GOMAXPROCS suffix
	Procs      int                `json:"procs"`
	Iterations int64              `json:"iterations"`
	Metrics    map[string]float64 `json:"metrics"` // by unit
}

type event struct {
	Action  string
	Package string
	Output  string
}

var (
	nameRE   = regexp.MustCompile(`^(Benchmark\S+?)(?:-(\d+))?(?:\s+(.*))?$`)
	resultRE = regexp.MustCompile(`^\s*(\d+)((?:\s+[-+0-9.eE]+ \S+)+)\s*$`)
)

// parseStream reads `go test -json` output. Benchmark lines may arrive in
// pieces and with log lines in between, so each package's output is read
// line by line, remembering the last benchmark name seen until its result
// line comes. Output lines are echoed to progress.
func parseStream(r io.Reader, progress io.Writer, meta map[string]string) ([]result, []string, error) {
	var out []result
	var fails []string
	partial := map[string]string{} // package → incomplete last line
	pending := map[string]*result{}
	line := func(pkg, l string) {
		for _, key := range []string{"goos", "goarch", "cpu"} {
			if v, ok := strings.CutPrefix(l, key+": "); ok {
				meta[key] = v
			}
		}
		if strings.HasPrefix(l, "--- FAIL") || strings.HasPrefix(l, "FAIL\t") || strings.HasPrefix(l, "panic:") {
			fails = append(fails, pkg+": "+l)
		}
		if m := nameRE.FindStringSubmatch(l); m != nil {
			procs, _ := strconv.Atoi(m[2])
			pending[pkg] = &result{Pkg: pkg, Name: m[1], Procs: procs}
			l = m[3]
		}
		p := pending[pkg]
		if p == nil {
			return
		}
		if m := resultRE.FindStringSubmatch(l); m != nil {
			p.Iterations, _ = strconv.ParseInt(m[1], 10, 64)
			p.Metrics = map[string]float64{}
			f := strings.Fields(m[2])
			for i := 0; i+1 < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err == nil {
					p.Metrics[f[i+1]] = v
				}
			}
			out = append(out, *p)
			delete(pending, pkg)
		}
	}
	dec := json.NewDecoder(r)
	for {
		var e event
		if err := dec.Decode(&e); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, nil, fmt.Errorf("reading go test -json: %w", err)
		}
		if e.Action != "output" {
			continue
		}
		fmt.Fprint(progress, e.Output)
		text := partial[e.Package] + e.Output
		lines := strings.Split(text, "\n")
		partial[e.Package] = lines[len(lines)-1]
		for _, l := range lines[:len(lines)-1] {
			line(e.Package, strings.TrimRight(l, "\r"))
		}
	}
	return out, fails, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// profiles runs the web round trip and the persisted turn under the CPU
// and memory profilers and keeps `go tool pprof -top` of each.
func profiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, p := range []struct{ name, bench, pkg string }{
		{"web", "^BenchmarkWebRoundTrip$", "./channels/web"},
		{"turn", "^BenchmarkTurnPersisted$", "./bot"},
	} {
		bin := filepath.Join(dir, p.name+".test")
		cpu, mem := filepath.Join(dir, p.name+"-cpu.prof"), filepath.Join(dir, p.name+"-mem.prof")
		args := []string{"test", "-run", "^$", "-bench", p.bench, "-benchtime", "5s", "-benchmem",
			"-cpuprofile", cpu, "-memprofile", mem, "-o", bin, p.pkg}
		fmt.Fprintf(os.Stderr, "== go %s\n", strings.Join(args, " "))
		cmd := exec.Command("go", args...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("profile %s: %w", p.name, err)
		}
		for _, v := range []struct {
			file, prof string
			args       []string
		}{
			{p.name + "-cpu.top.txt", cpu, []string{"-top", "-nodecount=40"}},
			{p.name + "-cpu.cum.txt", cpu, []string{"-top", "-cum", "-nodecount=60"}},
			{p.name + "-alloc.top.txt", mem, []string{"-top", "-sample_index=alloc_space", "-nodecount=40"}},
			{p.name + "-allocs.top.txt", mem, []string{"-top", "-sample_index=alloc_objects", "-nodecount=40"}},
		} {
			args := append(append([]string{"tool", "pprof"}, v.args...), bin, v.prof)
			b, err := exec.Command("go", args...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, b)
			}
			if err := os.WriteFile(filepath.Join(dir, v.file), b, 0o644); err != nil {
				return err
			}
		}
		fmt.Fprintf(os.Stderr, "profiles of %s in %s (%s-*.txt; go tool pprof -http=: %s %s)\n", p.name, dir, p.name, bin, cpu)
	}
	return nil
}

// commit is the HEAD commit, marked when the tree has changes.
func commit() string {
	b, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(b))
	if st, err := exec.Command("git", "status", "--porcelain").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += "+changes"
	}
	return c
}

func goVersion() string {
	b, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(b))
}

// machine is how busy the machine was with other work during the run: the
// figures compete with whatever else runs on the same cores.
type machine struct {
	CPUs       int     `json:"cpus"`
	OtherCPU   float64 `json:"other_cpu_seconds"` // CPU time of processes that are not this run's
	OtherShare float64 `json:"other_share"`       // of the machine's capacity during the run
	LoadBefore string  `json:"load_before"`
	LoadAfter  string  `json:"load_after"`
}

// machineCPU is the busy CPU time of the whole machine so far, in seconds,
// from /proc/stat (Linux; 0 elsewhere).
func machineCPU() (float64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(first)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, errors.New("/proc/stat: no cpu line")
	}
	var busy float64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseFloat(v, 64)
		busy += n
	}
	return busy / 100, nil // USER_HZ
}

// machineShare compares the machine's busy time since cpu0 with what this
// run's processes used (itself and every descendant it waited for).
func machineShare(cpu0, seconds float64) machine {
	m := machine{CPUs: runtime.NumCPU()}
	cpu1, err := machineCPU()
	if err != nil || cpu0 == 0 {
		return m
	}
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	ours := tv(self.Utime) + tv(self.Stime) + tv(children.Utime) + tv(children.Stime)
	m.OtherCPU = max(0, cpu1-cpu0-ours)
	m.OtherShare = m.OtherCPU / (seconds * float64(m.CPUs))
	return m
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

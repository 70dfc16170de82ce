package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func frame(s string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(s), s) }

// TestStdioSession runs the binary as an editor does: initialize,
// shutdown, exit on stdin; the process must exit 0 by itself and log to
// --log.
func TestStdioSession(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gitops-lsp")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	log := filepath.Join(dir, "lsp.log")
	ws := t.TempDir()
	in := frame(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"rootUri":"file://`+ws+`","capabilities":{}}}`) +
		frame(`{"jsonrpc":"2.0","method":"initialized","params":{}}`) +
		frame(`{"jsonrpc":"2.0","id":2,"method":"shutdown"}`) +
		frame(`{"jsonrpc":"2.0","method":"exit"}`)
	cmd := exec.Command(bin, "--log", log)
	cmd.Stdin = strings.NewReader(in)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\nstderr: %s", err, errb.String())
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("the server did not exit after exit")
	}
	if !strings.Contains(out.String(), `"id":1,"result":{"capabilities"`) || !strings.Contains(out.String(), `"id":2,"result":null`) {
		t.Errorf("stdout:\n%s", out.String())
	}
	data, _ := os.ReadFile(log)
	if !strings.Contains(string(data), "staying quiet") {
		t.Errorf("log file:\n%s", data)
	}

	help, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(help), "--log") && !strings.Contains(string(help), "-log") {
		t.Errorf("--help: %v\n%s", err, help)
	}
}

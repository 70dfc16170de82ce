package hookinstall

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/gittest"
)

const foreignHook = "#!/bin/sh\necho foreign ran >> \"$FOREIGN_LOG\"\nexit ${FOREIGN_EXIT:-0}\n"

// isolate keeps the user's global git config out of HooksDir.
func isolate(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("GIT_DIR", "")
	t.Setenv("GIT_WORK_TREE", "")
}

type repoSetup struct {
	hooksPath string // core.hooksPath, relative to the top-level
	foreign   bool   // a foreign pre-commit exists in the hooks directory
}

func setup(t *testing.T, s repoSetup) (repo, hooksDir string) {
	t.Helper()
	isolate(t)
	repo = gittest.Init(t)
	hooksDir = filepath.Join(repo, ".git", "hooks")
	if s.hooksPath != "" {
		gittest.Git(t, repo, "config", "core.hooksPath", s.hooksPath)
		hooksDir = filepath.Join(repo, s.hooksPath)
	}
	if s.foreign {
		if err := os.MkdirAll(hooksDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(hooksDir, HookName), []byte(foreignHook), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	return repo, hooksDir
}

func TestInstall(t *testing.T) {
	gittest.Require(t)
	for _, tc := range []struct {
		name        string
		setup       repoSetup
		force       bool
		wantErr     error
		wantChained bool
	}{
		{name: "fresh", setup: repoSetup{}},
		{name: "foreign refused", setup: repoSetup{foreign: true}, wantErr: ErrForeignHook},
		{name: "foreign forced", setup: repoSetup{foreign: true}, force: true, wantChained: true},
		{name: "hooksPath fresh", setup: repoSetup{hooksPath: ".opencenter/hooks"}},
		{name: "hooksPath chains openCenter hook", setup: repoSetup{hooksPath: ".opencenter/hooks", foreign: true}, wantChained: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo, hooksDir := setup(t, tc.setup)
			hook := filepath.Join(hooksDir, HookName)
			before, _ := os.ReadFile(hook)
			res, err := Install(Options{RepoDir: repo, Force: tc.force, Bin: "/opt/gitops hook/bin"})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), "--force") {
					t.Fatalf("Install = %v, want %v mentioning --force", err, tc.wantErr)
				}
				if after, _ := os.ReadFile(hook); !bytes.Equal(after, before) {
					t.Error("a refused install changed the existing hook")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Hook != hook {
				t.Errorf("Hook = %q, want %q", res.Hook, hook)
			}
			assertShim(t, hook)
			chained := filepath.Join(hooksDir, ChainedName)
			if tc.wantChained {
				if res.Chained != chained {
					t.Errorf("Chained = %q, want %q", res.Chained, chained)
				}
				if got, _ := os.ReadFile(chained); string(got) != foreignHook {
					t.Errorf("chained hook = %q, want the foreign one", got)
				}
			} else if res.Chained != "" {
				t.Errorf("Chained = %q, want none", res.Chained)
			}

			// Idempotent: installing again updates the shim in place and
			// never chains the shim to itself.
			res2, err := Install(Options{RepoDir: repo, Bin: "/usr/bin/gitops-hook"})
			if err != nil {
				t.Fatal(err)
			}
			if !res2.Updated || res2.Chained != res.Chained {
				t.Errorf("reinstall = %+v", res2)
			}
			if got, _ := os.ReadFile(hook); !bytes.Contains(got, []byte("bin='/usr/bin/gitops-hook'")) {
				t.Errorf("reinstall did not update the binary:\n%s", got)
			}
			if got, _ := os.ReadFile(chained); tc.wantChained && string(got) != foreignHook {
				t.Errorf("reinstall changed the chained hook: %q", got)
			}

			// Uninstall restores exactly what was there.
			if _, err := Uninstall(Options{RepoDir: repo}); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Lstat(chained); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("chained hook left behind: %v", err)
			}
			after, err := os.ReadFile(hook)
			if tc.setup.foreign {
				fi, serr := os.Stat(hook)
				if err != nil || serr != nil || !bytes.Equal(after, before) || fi.Mode().Perm() != 0o750 {
					t.Errorf("foreign hook not restored byte for byte with mode 0750: %v %v %q", err, fi, after)
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				t.Errorf("shim left after uninstall: %v", err)
			}
		})
	}
}

func assertShim(t *testing.T, hook string) {
	t.Helper()
	b, err := os.ReadFile(hook)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(hook)
	if !bytes.HasPrefix(b, []byte("#!/bin/sh\n")) || !bytes.Contains(b, []byte(Marker)) || fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("%s is not an executable shim (mode %v):\n%s", hook, fi.Mode(), b)
	}
	if out, err := exec.Command("sh", "-n", hook).CombinedOutput(); err != nil {
		t.Errorf("shim syntax: %v\n%s", err, out)
	}
}

func TestInstallLinkedWorktreeUsesCommonHooks(t *testing.T) {
	gittest.Require(t)
	isolate(t)
	repo := gittest.Init(t)
	gittest.Write(t, repo, map[string]string{"a": "a\n"})
	gittest.Git(t, repo, "add", ".")
	gittest.Git(t, repo, "commit", "-qm", "one")
	wt := filepath.Join(filepath.Dir(repo), "wt")
	gittest.Git(t, repo, "worktree", "add", "-q", wt)
	res, err := Install(Options{RepoDir: wt})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(repo, ".git", "hooks", HookName); res.Hook != want {
		t.Errorf("Hook = %q, want %q", res.Hook, want)
	}
}

func TestUninstallLeavesForeignHook(t *testing.T) {
	gittest.Require(t)
	repo, hooksDir := setup(t, repoSetup{foreign: true})
	if _, err := Uninstall(Options{RepoDir: repo}); err == nil {
		t.Fatal("uninstall removed or accepted a foreign hook")
	}
	if got, _ := os.ReadFile(filepath.Join(hooksDir, HookName)); string(got) != foreignHook {
		t.Errorf("foreign hook changed: %q", got)
	}
	repo2, _ := setup(t, repoSetup{})
	res, err := Uninstall(Options{RepoDir: repo2})
	if err != nil || res.Removed || res.Restored != "" {
		t.Errorf("uninstall with nothing installed = %+v, %v", res, err)
	}
}

// TestShimRuns runs the installed shim with sh, with a fake gitops-hook
// that records its arguments, and a chained foreign hook.
func TestShimRuns(t *testing.T) {
	gittest.Require(t)
	for _, tc := range []struct {
		name        string
		env         []string
		foreignExit string
		wantExit    int
		wantBin     bool
	}{
		{name: "runs both", wantBin: true},
		{name: "GITOPS_HOOK=0", env: []string{"GITOPS_HOOK=0"}},
		{name: "SKIP lists it", env: []string{"SKIP=lint, gitops-hook ,other"}},
		{name: "SKIP lists others", env: []string{"SKIP=gitops-hook-extra,lint"}, wantBin: true},
		{name: "chained hook fails", foreignExit: "3", wantExit: 3},
		{name: "binary fails", env: []string{"FAKE_EXIT=1"}, wantExit: 1, wantBin: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo, hooksDir := setup(t, repoSetup{hooksPath: ".opencenter/hooks", foreign: true})
			tmp := t.TempDir()
			binLog := filepath.Join(tmp, "bin.log")
			foreignLog := filepath.Join(tmp, "foreign.log")
			fake := filepath.Join(tmp, "fake-gitops-hook")
			script := "#!/bin/sh\necho \"$@\" >> '" + binLog + "'\nexit ${FAKE_EXIT:-0}\n"
			if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			if _, err := Install(Options{RepoDir: repo, Bin: fake}); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("sh", filepath.Join(hooksDir, HookName))
			cmd.Dir = repo
			cmd.Env = append(os.Environ(), "FOREIGN_LOG="+foreignLog, "FOREIGN_EXIT="+tc.foreignExit, "GITOPS_HOOK=", "SKIP=")
			cmd.Env = append(cmd.Env, tc.env...)
			out, err := cmd.CombinedOutput()
			exit := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if exit != tc.wantExit {
				t.Errorf("exit %d, want %d\n%s", exit, tc.wantExit, out)
			}
			if got, _ := os.ReadFile(foreignLog); string(got) != "foreign ran\n" {
				t.Errorf("chained hook log %q: it must run whatever the skip switches", got)
			}
			got, _ := os.ReadFile(binLog)
			if tc.wantBin && string(got) != "run\n" {
				t.Errorf("binary log %q, want \"run\"", got)
			}
			if !tc.wantBin && len(got) != 0 {
				t.Errorf("binary ran (%q) but should not have", got)
			}
		})
	}
}

// TestShimUnderGit commits through git itself: the shim finds its chained
// hook under core.hooksPath, GITOPS_HOOK_BIN overrides the binary, and a
// failing binary blocks the commit.
func TestShimUnderGit(t *testing.T) {
	gittest.Require(t)
	repo, _ := setup(t, repoSetup{hooksPath: ".opencenter/hooks", foreign: true})
	tmp := t.TempDir()
	log := filepath.Join(tmp, "log")
	override := filepath.Join(tmp, "override")
	if err := os.WriteFile(override, []byte("#!/bin/sh\necho override \"$@\" >> '"+log+"'\nexit ${FAKE_EXIT:-0}\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(Options{RepoDir: repo, Bin: "/nonexistent/gitops-hook"}); err != nil {
		t.Fatal(err)
	}
	gittest.Write(t, repo, map[string]string{"a.yaml": "a\n"})
	gittest.Git(t, repo, "add", "a.yaml")
	env := []string{"FOREIGN_LOG=" + log, "GITOPS_HOOK_BIN=" + override}
	if out, err := gittest.Run(repo, append(env, "FAKE_EXIT=1"), "commit", "-qm", "blocked"); err == nil {
		t.Fatalf("a failing gitops-hook did not block the commit:\n%s", out)
	}
	if out, err := gittest.Run(repo, env, "commit", "-qm", "ok"); err != nil {
		t.Fatalf("commit: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(log); string(got) != "foreign ran\noverride run\nforeign ran\noverride run\n" {
		t.Errorf("hook log:\n%s", got)
	}
}

func TestInstallRefusesTwoForeignHooks(t *testing.T) {
	gittest.Require(t)
	repo, hooksDir := setup(t, repoSetup{hooksPath: ".opencenter/hooks", foreign: true})
	if _, err := Install(Options{RepoDir: repo}); err != nil {
		t.Fatal(err)
	}
	// openCenter's CLI rewrites its hook over the shim.
	newer := []byte("#!/bin/sh\necho newer\n")
	hook := filepath.Join(hooksDir, HookName)
	if err := os.WriteFile(hook, newer, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(Options{RepoDir: repo, Force: true}); err == nil || !strings.Contains(err.Error(), ChainedName) {
		t.Fatalf("Install over two foreign hooks = %v", err)
	}
	if got, _ := os.ReadFile(hook); !bytes.Equal(got, newer) {
		t.Error("the newer foreign hook was changed")
	}
	if got, _ := os.ReadFile(filepath.Join(hooksDir, ChainedName)); string(got) != foreignHook {
		t.Error("the chained hook was changed")
	}
}

func TestInstallBareRepository(t *testing.T) {
	gittest.Require(t)
	isolate(t)
	bare := filepath.Join(t.TempDir(), "b.git")
	gittest.Git(t, "", "init", "-q", "--bare", bare)
	if _, err := Install(Options{RepoDir: bare}); err == nil || !strings.Contains(err.Error(), "bare repository") {
		t.Errorf("Install in a bare repository = %v", err)
	}
}

func TestHooksDir(t *testing.T) {
	gittest.Require(t)
	repo, _ := setup(t, repoSetup{})
	sub := filepath.Join(repo, "applications", "overlays")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(t.TempDir(), "shared-hooks")
	for _, tc := range []struct {
		config, wantDir string
	}{
		{"", filepath.Join(repo, ".git", "hooks")},
		{".opencenter/hooks", filepath.Join(repo, ".opencenter", "hooks")},
		{abs, abs},
	} {
		if tc.config != "" {
			gittest.Git(t, repo, "config", "core.hooksPath", tc.config)
		}
		dir, hp, err := HooksDir(sub)
		if err != nil || dir != tc.wantDir || hp != tc.config {
			t.Errorf("hooksPath %q: HooksDir = %q, %q, %v; want %q", tc.config, dir, hp, err, tc.wantDir)
		}
	}
	// A global setting applies when the repository has none.
	gittest.Git(t, repo, "config", "--unset", "core.hooksPath")
	home := os.Getenv("HOME")
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[core]\n\thooksPath = "+abs+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if dir, _, err := HooksDir(repo); err != nil || dir != abs {
		t.Errorf("global hooksPath: %q, %v", dir, err)
	}
}

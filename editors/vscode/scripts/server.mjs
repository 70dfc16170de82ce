// Builds gitops-lsp from the repository root (../..) with `go build`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const extensionDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(extensionDir, '..', '..');

/** Why the server cannot be built here, or undefined when it can. */
export function cannotBuild() {
  if (!fs.existsSync(path.join(repoRoot, 'cmd', 'gitops-lsp'))) {
    return `${path.join(repoRoot, 'cmd', 'gitops-lsp')} does not exist in this checkout`;
  }
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    return 'the go command is not installed (https://go.dev/dl/)';
  }
  return undefined;
}

/** Builds ./cmd/gitops-lsp for goos/goarch into `out`; throws with go's output when the build fails. */
export function buildServer(out, goos, goarch) {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const args = ['build', '-trimpath', '-ldflags=-s -w', '-o', out, './cmd/gitops-lsp'];
  console.log(`GOOS=${goos} GOARCH=${goarch} CGO_ENABLED=0 go ${args.join(' ')}   (in ${repoRoot})`);
  const r = spawnSync('go', args, {
    cwd: repoRoot,
    env: { ...process.env, GOOS: goos, GOARCH: goarch, CGO_ENABLED: '0' },
    stdio: 'inherit',
  });
  if (r.error || r.status !== 0) {
    throw new Error(`go build of ./cmd/gitops-lsp failed (${r.error?.message ?? `exit ${r.status}`})`);
  }
}

/** Go's names for Node's process.platform / process.arch. */
export function goTarget(platform, arch) {
  const goos = { win32: 'windows', darwin: 'darwin', linux: 'linux' }[platform] ?? platform;
  const goarch = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' }[arch] ?? arch;
  return { goos, goarch };
}

// Finds the gitops-lsp binary: the gitops.server.path setting, then the binary
// bundled in the extension for this platform, then PATH. File access goes
// through FileProbe so the order and the messages are tested without a disk.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BinaryKind, HEADER_BYTES, describeTargets, readBinaryKind, runsOn } from './binary';

export const INSTALL_COMMAND = 'go install github.com/opencenter-cloud/gitops-hook/cmd/gitops-lsp@latest';

export interface FileProbe {
  /** "file", "dir" or undefined when nothing is there (or it cannot be read). */
  kind(p: string): 'file' | 'dir' | undefined;
  /** Whether the file has an execute bit (always true on Windows). */
  executable(p: string): boolean;
  /** The first bytes of the file, or undefined when unreadable. */
  header(p: string): Uint8Array | undefined;
}

export interface DiscoveryInput {
  /** gitops.server.path as the user wrote it ("" when unset). */
  setting: string;
  extensionPath: string;
  platform: string; // process.platform
  arch: string; // process.arch
  /** The PATH environment variable. */
  envPath: string;
  home: string;
  /** First workspace folder, for ${workspaceFolder} and relative settings. */
  workspaceFolder?: string;
}

export type Discovery =
  | { ok: true; path: string; source: 'setting' | 'bundled' | 'path'; notes: string[] }
  | { ok: false; reason: 'setting-missing' | 'wrong-arch' | 'not-found'; message: string; path?: string; notes: string[] };

/** The binary's file name on this platform. */
export function serverFileName(platform: string): string {
  return platform === 'win32' ? 'gitops-lsp.exe' : 'gitops-lsp';
}

/** Where the extension bundles the server: server/<platform>-<arch>/gitops-lsp, e.g. server/linux-x64/gitops-lsp. */
export function bundledServerPath(extensionPath: string, platform: string, arch: string): string {
  return path.join(extensionPath, 'server', `${platform}-${arch}`, serverFileName(platform));
}

/** Expands "~" and ${workspaceFolder}; a relative result is taken from the workspace folder. */
export function expandPath(p: string, home: string, workspaceFolder?: string): string {
  let out = p.trim();
  if (out === '~' || out.startsWith('~/') || out.startsWith('~\\')) {
    out = path.join(home, out.slice(1));
  }
  if (workspaceFolder) {
    out = out.split('${workspaceFolder}').join(workspaceFolder);
    if (!path.isAbsolute(out)) {
      out = path.resolve(workspaceFolder, out);
    }
  }
  return out;
}

function wrongArchMessage(where: string, p: string, kind: BinaryKind, input: DiscoveryInput): string {
  if (kind.kind === 'unknown') {
    return (
      `${where} ${p} is not a program this machine can run (no ELF, Mach-O or PE header, no #! line), or it cannot be read. ` +
      `Install the server with: ${INSTALL_COMMAND} (then point gitops.server.path at it, or clear the setting to use gitops-lsp from PATH).`
    );
  }
  return (
    `${where} ${p} is built for ${describeTargets(kind)}, but VS Code runs on ${input.platform}/${input.arch}, ` +
    `so it cannot start. Install a build for this machine with: ${INSTALL_COMMAND} ` +
    `(then point gitops.server.path at it, or clear the setting to use gitops-lsp from PATH).`
  );
}

export function findServer(input: DiscoveryInput, probe: FileProbe): Discovery {
  const notes: string[] = [];
  const name = serverFileName(input.platform);

  // 1. The setting is an explicit choice: when it is wrong, say so instead of
  // quietly starting some other binary.
  if (input.setting.trim() !== '') {
    let p = expandPath(input.setting, input.home, input.workspaceFolder);
    if (probe.kind(p) === 'dir') {
      p = path.join(p, name);
    }
    if (probe.kind(p) !== 'file') {
      return {
        ok: false,
        reason: 'setting-missing',
        path: p,
        notes,
        message:
          `gitops.server.path is "${input.setting}", but there is no file at ${p}. ` +
          `Fix the setting, or clear it to use the bundled server or gitops-lsp from PATH (install: ${INSTALL_COMMAND}).`,
      };
    }
    const kind = kindOf(probe, p);
    if (!runsOn(kind, input.platform, input.arch)) {
      return { ok: false, reason: 'wrong-arch', path: p, notes, message: wrongArchMessage('gitops.server.path', p, kind, input) };
    }
    return { ok: true, path: p, source: 'setting', notes };
  }

  // 2. Bundled for this platform. A bundled binary of another architecture
  // means a broken package; fall through to PATH but keep a note for the log.
  let wrong: { path: string; kind: BinaryKind; where: string } | undefined;
  const bundled = bundledServerPath(input.extensionPath, input.platform, input.arch);
  if (probe.kind(bundled) === 'file') {
    const kind = kindOf(probe, bundled);
    if (runsOn(kind, input.platform, input.arch)) {
      return { ok: true, path: bundled, source: 'bundled', notes };
    }
    notes.push(`ignored the bundled ${bundled}: built for ${describeTargets(kind)}, not ${input.platform}/${input.arch}`);
    wrong = { path: bundled, kind, where: 'The bundled server' };
  }

  // 3. PATH, first match that runs here.
  const delimiter = input.platform === 'win32' ? ';' : ':';
  for (const dir of input.envPath.split(delimiter)) {
    if (dir.trim() === '') {
      continue;
    }
    const p = path.join(dir, name);
    if (probe.kind(p) !== 'file' || !probe.executable(p)) {
      continue;
    }
    const kind = kindOf(probe, p);
    if (runsOn(kind, input.platform, input.arch)) {
      return { ok: true, path: p, source: 'path', notes };
    }
    notes.push(`ignored ${p} on PATH: built for ${describeTargets(kind)}`);
    wrong ??= { path: p, kind, where: 'gitops-lsp on PATH,' };
  }

  if (wrong) {
    return { ok: false, reason: 'wrong-arch', path: wrong.path, notes, message: wrongArchMessage(wrong.where, wrong.path, wrong.kind, input) };
  }
  return {
    ok: false,
    reason: 'not-found',
    notes,
    message:
      `The GitOps language server (gitops-lsp) was not found: gitops.server.path is not set, ` +
      `this extension bundles no server for ${input.platform}-${input.arch}, and gitops-lsp is not on PATH. ` +
      `Install it with: ${INSTALL_COMMAND} (make sure $(go env GOPATH)/bin is on PATH, or set gitops.server.path), then run "GitOps: Restart Server".`,
  };
}

function kindOf(probe: FileProbe, p: string): BinaryKind {
  const h = probe.header(p);
  return h ? readBinaryKind(h) : { kind: 'unknown' };
}

/** The real file system. */
export const diskProbe: FileProbe = {
  kind(p) {
    try {
      const st = fs.statSync(p);
      return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : undefined;
    } catch {
      return undefined;
    }
  },
  executable(p) {
    if (process.platform === 'win32') {
      return true;
    }
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  header(p) {
    let fd: number | undefined;
    try {
      fd = fs.openSync(p, 'r');
      const buf = Buffer.alloc(HEADER_BYTES);
      const n = fs.readSync(fd, buf, 0, HEADER_BYTES, 0);
      return buf.subarray(0, n);
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) {
        fs.closeSync(fd);
      }
    }
  },
};

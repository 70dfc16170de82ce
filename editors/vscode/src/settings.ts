// Maps the gitops.* settings to the server's initializationOptions (and the
// "gitops" section of workspace/didChangeConfiguration): the same object in
// both places, built by one function the integration test uses as well.
import { expandPath } from './discovery';

/** The shape the server reads; keys left out fall back to .gitops.yaml. */
export interface ServerOptions {
  environments?: string[];
  mirrors?: Record<string, string>;
  offline?: boolean;
  rules?: Record<string, string>;
}

/** Reads one gitops.* setting; undefined when the user has not set it anywhere (only the default applies). */
export type SettingsReader = (key: 'environments' | 'mirrors' | 'offline' | 'rules') => unknown;

export const SEVERITIES = ['error', 'warning', 'info', 'off'] as const;

export interface MappedSettings {
  options: ServerOptions;
  /** Setting values that were ignored, with why: shown in the output channel. */
  problems: string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Builds the server options. Settings left at their defaults are omitted so
 * that .gitops.yaml stays in charge of them (an empty environment list would
 * otherwise override the repository's promotion order). Mirror folders are
 * made absolute against the workspace folder, as the server runs elsewhere.
 */
export function buildServerOptions(read: SettingsReader, ctx: { workspaceFolder?: string; home: string }): MappedSettings {
  const options: ServerOptions = {};
  const problems: string[] = [];

  const envs = read('environments');
  if (envs !== undefined) {
    if (!Array.isArray(envs)) {
      problems.push('gitops.environments must be a list of environment names; ignored');
    } else {
      const seen = new Set<string>();
      for (const e of envs) {
        if (typeof e !== 'string' || e.trim() === '') {
          problems.push(`gitops.environments: ${JSON.stringify(e)} is not an environment name; ignored`);
          continue;
        }
        if (seen.has(e.trim())) {
          problems.push(`gitops.environments: ${e.trim()} is listed twice; the first place counts`);
          continue;
        }
        seen.add(e.trim());
      }
      if (seen.size > 0) {
        options.environments = [...seen];
      }
    }
  }

  const mirrors = read('mirrors');
  if (mirrors !== undefined) {
    if (!isRecord(mirrors)) {
      problems.push('gitops.mirrors must map repository URLs to folders; ignored');
    } else {
      const out: Record<string, string> = {};
      for (const [url, dir] of Object.entries(mirrors)) {
        if (typeof dir !== 'string' || dir.trim() === '' || url.trim() === '') {
          problems.push(`gitops.mirrors: ${url} → ${JSON.stringify(dir)} is not a repository URL and a folder; ignored`);
          continue;
        }
        out[url.trim()] = expandPath(dir, ctx.home, ctx.workspaceFolder);
      }
      if (Object.keys(out).length > 0) {
        options.mirrors = out;
      }
    }
  }

  const offline = read('offline');
  if (offline !== undefined) {
    if (typeof offline === 'boolean') {
      options.offline = offline;
    } else {
      problems.push(`gitops.offline must be true or false, not ${JSON.stringify(offline)}; ignored`);
    }
  }

  const rules = read('rules');
  if (rules !== undefined) {
    if (!isRecord(rules)) {
      problems.push('gitops.rules must map rule IDs to error, warning, info or off; ignored');
    } else {
      const out: Record<string, string> = {};
      for (const [id, sev] of Object.entries(rules)) {
        const s = typeof sev === 'string' ? sev.trim().toLowerCase() : '';
        if (!(SEVERITIES as readonly string[]).includes(s)) {
          problems.push(`gitops.rules: ${id} → ${JSON.stringify(sev)} is not one of ${SEVERITIES.join(', ')}; ignored`);
          continue;
        }
        out[id.trim()] = s;
      }
      if (Object.keys(out).length > 0) {
        options.rules = out;
      }
    }
  }
  return { options, problems };
}

/** The didChangeConfiguration parameters the server expects. */
export function configurationChange(options: ServerOptions): { settings: { gitops: ServerOptions } } {
  return { settings: { gitops: options } };
}

/**
 * What a settings change needs: the binary is only chosen at start, so a new
 * server path restarts the server; analysis settings are sent to the running
 * server; gitops.trace.server is applied by the language client itself.
 */
export function changeAction(affects: (section: string) => boolean): 'restart' | 'notify' | 'none' {
  if (affects('gitops.server.path')) {
    return 'restart';
  }
  for (const key of ['environments', 'mirrors', 'offline', 'rules']) {
    if (affects(`gitops.${key}`)) {
      return 'notify';
    }
  }
  return 'none';
}

// What the status bar item shows, from the server's lifecycle, its $/progress
// reports and its gitops/status notifications.

export type ServerState = 'starting' | 'running' | 'restarting' | 'stopped' | 'failed' | 'no-server';

/** The gitops/status notification of the contract. */
export interface StatusNotification {
  state: 'indexing' | 'ready' | 'error';
  errors: number;
  warnings: number;
  message?: string;
}

export interface Progress {
  title: string;
  message?: string;
  percentage?: number;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** 'error' and 'warning' pick the status bar's error and warning backgrounds. */
  level: 'normal' | 'warning' | 'error';
  /** The command run on click. */
  command: string;
}

export function parseStatus(v: unknown): StatusNotification | undefined {
  const o = v as Record<string, unknown> | null;
  if (!o || (o.state !== 'indexing' && o.state !== 'ready' && o.state !== 'error')) {
    return undefined;
  }
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? Math.floor(x) : 0);
  return { state: o.state, errors: n(o.errors), warnings: n(o.warnings), message: typeof o.message === 'string' ? o.message : undefined };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function statusView(server: ServerState, progress: Progress | undefined, status: StatusNotification | undefined, detail = ''): StatusView {
  const extra = detail ? `\n${detail}` : '';
  switch (server) {
    case 'no-server':
      return { text: '$(circle-slash) GitOps', tooltip: `GitOps: no language server found.${extra}`, level: 'warning', command: 'gitops.showOutput' };
    case 'failed':
      return { text: '$(error) GitOps: stopped', tooltip: `GitOps: the server stopped after repeated crashes; click to restart.${extra}`, level: 'error', command: 'gitops.restart' };
    case 'stopped':
      return { text: '$(circle-slash) GitOps: stopped', tooltip: `GitOps: the server is not running; click to restart.${extra}`, level: 'warning', command: 'gitops.restart' };
    case 'starting':
    case 'restarting':
      return { text: '$(sync~spin) GitOps', tooltip: `GitOps: ${server === 'starting' ? 'starting' : 'restarting after a crash'} the server…${extra}`, level: 'normal', command: 'gitops.showOutput' };
  }
  if (progress) {
    const pct = progress.percentage !== undefined ? ` ${Math.max(0, Math.min(100, Math.round(progress.percentage)))}%` : '';
    return {
      text: `$(sync~spin) GitOps${pct}`,
      tooltip: `${progress.title}${progress.message ? `: ${progress.message}` : ''}`,
      level: 'normal',
      command: 'gitops.showOutput',
    };
  }
  if (!status || status.state === 'indexing') {
    return { text: '$(sync~spin) GitOps', tooltip: `GitOps: analysing the repository…${status?.message ? `\n${status.message}` : ''}`, level: 'normal', command: 'gitops.showOutput' };
  }
  if (status.state === 'error') {
    return { text: '$(alert) GitOps', tooltip: `GitOps: the analysis failed: ${status.message ?? 'see the GitOps output'}`, level: 'error', command: 'gitops.showOutput' };
  }
  const counts = `${plural(status.errors, 'error')}, ${plural(status.warnings, 'warning')}`;
  const tooltip = `GitOps: ${counts}${status.message ? `\n${status.message}` : ''}\nClick to open the Problems view.`;
  if (status.errors > 0) {
    return { text: `$(error) GitOps ${status.errors}`, tooltip, level: 'error', command: 'workbench.actions.view.problems' };
  }
  if (status.warnings > 0) {
    return { text: `$(warning) GitOps ${status.warnings}`, tooltip, level: 'warning', command: 'workbench.actions.view.problems' };
  }
  return { text: '$(check) GitOps', tooltip, level: 'normal', command: 'workbench.actions.view.problems' };
}

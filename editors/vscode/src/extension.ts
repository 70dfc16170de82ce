// VS Code glue: one gitops-lsp per workspace folder that holds a GitOps
// repository, the commands, the status bar and the matrix webview. The logic
// lives in the vscode-free modules next to this one.
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CloseAction,
  DocumentSelector,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  ServerOptions as LaunchOptions,
  State,
  StaticFeature,
  DynamicFeature,
  TransportKind,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
  DidChangeConfigurationNotification,
} from 'vscode-languageclient/node';
import { INSTALL_COMMAND, diskProbe, findServer } from './discovery';
import { buildServerOptions, changeAction, configurationChange, ServerOptions } from './settings';
import { SERVER_COMMANDS, documentSelector, looksLikeFlux, MARKER_PATHS, serverCommand } from './clientconfig';
import { CrashPolicy, CrashPolicyOptions, defaultCrashPolicy } from './crash';
import { Progress, ServerState, StatusNotification, parseStatus, statusView } from './status';
import { parseMatrix, renderMatrixHtml } from './matrix';
import {
  describeEdit,
  orderServices,
  orderSources,
  overlayLocation,
  parseEditResult,
  parseServiceList,
  parseSources,
  pinArguments,
  promoteArguments,
  promotionSteps,
} from './commands';

/**
 * The server's commands are registered once by the extension and routed to
 * the server of the folder in use; the client's own registration would fail
 * for the second folder of a multi-root workspace ("command already exists").
 */
class GitopsClient extends LanguageClient {
  public registerFeature(feature: StaticFeature | DynamicFeature<unknown>): void {
    if ((feature as DynamicFeature<unknown>).registrationType?.method === ExecuteCommandRequest.method) {
      return;
    }
    super.registerFeature(feature);
  }
}

/** Reads gitops.* for a folder; undefined when only the default applies. */
function settingsReader(folder: vscode.WorkspaceFolder) {
  const cfg = vscode.workspace.getConfiguration('gitops', folder.uri);
  return (key: string): unknown => {
    const i = cfg.inspect(key);
    if (!i) {
      return undefined;
    }
    return i.workspaceFolderValue ?? i.workspaceValue ?? i.globalValue;
  };
}

function serverOptionsFor(folder: vscode.WorkspaceFolder, log: vscode.OutputChannel): ServerOptions {
  const { options, problems } = buildServerOptions(settingsReader(folder), { workspaceFolder: folder.uri.fsPath, home: os.homedir() });
  for (const p of problems) {
    log.appendLine(`[${folder.name}] setting ignored: ${p}`);
  }
  return options;
}

class FolderServer implements vscode.Disposable {
  client: GitopsClient | undefined;
  state: ServerState = 'stopped';
  progress: Progress | undefined;
  status: StatusNotification | undefined;
  detail = '';
  private readonly crashes: CrashPolicy;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    readonly folder: vscode.WorkspaceFolder,
    private readonly ext: GitopsExtension,
  ) {
    this.crashes = new CrashPolicy(ext.crashPolicy);
  }

  async start(): Promise<void> {
    const log = this.ext.log;
    const found = findServer(
      {
        setting: vscode.workspace.getConfiguration('gitops', this.folder.uri).get<string>('server.path', ''),
        extensionPath: this.ext.context.extensionPath,
        platform: process.platform,
        arch: process.arch,
        envPath: process.env.PATH ?? '',
        home: os.homedir(),
        workspaceFolder: this.folder.uri.fsPath,
      },
      diskProbe,
    );
    for (const n of found.notes) {
      log.appendLine(`[${this.folder.name}] ${n}`);
    }
    if (!found.ok) {
      this.setState('no-server', found.message);
      this.ext.reportMissingServer(found.reason, found.message);
      return;
    }
    if (found.source === 'bundled') {
      // A .vsix does not always keep the execute bit of the files it holds.
      try {
        fs.chmodSync(found.path, 0o755);
      } catch {
        // read-only install: the start below reports what goes wrong
      }
    }
    log.appendLine(`[${this.folder.name}] starting ${found.path} (${found.source === 'path' ? 'from PATH' : found.source === 'bundled' ? 'bundled' : 'gitops.server.path'})`);

    let closed = false;
    const launch = serverCommand(found.path, this.folder.uri.fsPath);
    const serverOptions: LaunchOptions = { command: launch.command, args: launch.args, options: launch.options, transport: TransportKind.stdio };
    const clientOptions: LanguageClientOptions = {
      documentSelector: documentSelector(this.folder.uri.fsPath) as DocumentSelector,
      workspaceFolder: this.folder,
      outputChannel: log,
      traceOutputChannel: log,
      diagnosticCollectionName: 'gitops',
      initializationOptions: () => serverOptionsFor(this.folder, log),
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue, handled: true }), // logged by the client; crashes go through closed()
        closed: () => {
          closed = true;
          this.onClosed();
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      middleware: {
        workspace: {
          // A server asking for the "gitops" section gets the mapped options,
          // the same object as initializationOptions.
          configuration: async (params, token, next) => {
            const res = await next(params, token);
            if (!Array.isArray(res)) {
              return res;
            }
            return params.items.map((item, i) => (item.section === 'gitops' ? serverOptionsFor(this.folder, log) : res[i]));
          },
        },
      },
    };
    const multi = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    const client = new GitopsClient('gitops', multi ? `GitOps (${this.folder.name})` : 'GitOps', serverOptions, clientOptions);
    this.client = client;
    this.stopping = false;
    this.setState('starting');
    try {
      await client.start();
    } catch (e) {
      if (closed || this.client !== client) {
        return; // the server exited during start-up: onClosed() restarts it or gives up
      }
      // It could not be run at all (permission denied, not an executable…): retrying will not help.
      const msg = `GitOps: could not start ${found.path}: ${e instanceof Error ? e.message : String(e)}. Fix gitops.server.path or reinstall the server (${INSTALL_COMMAND}).`;
      log.appendLine(`[${this.folder.name}] ${msg}`);
      this.client = undefined;
      void client.dispose().catch(() => undefined);
      this.setState('failed', msg);
      void vscode.window.showErrorMessage(msg, 'Show Output').then((pick) => pick && log.show(true));
      return;
    }
    if (this.client !== client) {
      return;
    }
    this.setState('running');
    client.onNotification('gitops/status', (params: unknown) => {
      const s = parseStatus(params);
      if (s) {
        this.status = s;
        this.ext.refreshStatus();
        if (s.state === 'ready') {
          this.ext.matrixMayHaveChanged(this);
        }
      }
    });
    // Progress for the status bar: this replaces the client's own handler,
    // which would show the same report as a separate window progress.
    client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      const sub = client.onProgress(WorkDoneProgress.type, token, (v) => {
        if (v.kind === 'begin') {
          this.progress = { title: v.title, message: v.message, percentage: v.percentage };
        } else if (v.kind === 'report') {
          this.progress = { title: this.progress?.title ?? 'gitops', message: v.message ?? this.progress?.message, percentage: v.percentage ?? this.progress?.percentage };
        } else {
          this.progress = undefined;
          sub.dispose();
        }
        this.ext.refreshStatus();
      });
    });
  }

  private onClosed(): void {
    if (this.stopping) {
      return;
    }
    this.progress = undefined;
    this.status = undefined;
    const d = this.crashes.onCrash(Date.now());
    const log = this.ext.log;
    if (d.action === 'give-up') {
      log.appendLine(`[${this.folder.name}] ${d.message}`);
      this.setState('failed', d.message);
      void vscode.window.showErrorMessage(d.message, 'Show Output', 'Restart').then((pick) => {
        if (pick === 'Show Output') {
          log.show(true);
        } else if (pick === 'Restart') {
          void this.restart();
        }
      });
      return;
    }
    log.appendLine(`[${this.folder.name}] the server exited unexpectedly (crash ${d.crashes}); restarting in ${d.delayMs / 1000} s`);
    this.setState('restarting');
    const dead = this.client;
    this.client = undefined;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void dead?.dispose().catch(() => undefined);
      void this.start();
    }, d.delayMs);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    const c = this.client;
    this.client = undefined;
    this.progress = undefined;
    this.status = undefined;
    if (c) {
      try {
        await c.stop(2000);
      } catch {
        // already dead
      }
      await c.dispose().catch(() => undefined);
    }
    this.setState('stopped');
  }

  async restart(): Promise<void> {
    await this.stop();
    this.crashes.reset();
    await this.start();
  }

  /** Sends the mapped settings to the running server (no restart needed). */
  notifySettings(): void {
    if (this.client?.state === State.Running) {
      void this.client.sendNotification(DidChangeConfigurationNotification.type, configurationChange(serverOptionsFor(this.folder, this.ext.log)));
    }
  }

  async execute(command: string, args: unknown[]): Promise<unknown> {
    if (!this.client || this.client.state !== State.Running) {
      throw new Error(`the GitOps language server of ${this.folder.name} is not running (${this.state}); run "GitOps: Restart Server"`);
    }
    return this.client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
  }

  private setState(s: ServerState, detail = ''): void {
    this.state = s;
    this.detail = detail;
    this.ext.refreshStatus();
  }

  dispose(): void {
    void this.stop();
  }
}

export class GitopsExtension implements vscode.Disposable {
  readonly log: vscode.OutputChannel;
  private readonly servers = new Map<string, FolderServer>();
  private readonly statusItem: vscode.StatusBarItem;
  private readonly shown = new Set<string>();
  private matrixPanel: { panel: vscode.WebviewPanel; server: FolderServer } | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly crashPolicy: CrashPolicyOptions = defaultCrashPolicy,
  ) {
    this.log = vscode.window.createOutputChannel('GitOps');
    this.statusItem = vscode.window.createStatusBarItem('gitops.status', vscode.StatusBarAlignment.Left, 10);
    this.statusItem.name = 'GitOps';
    this.disposables.push(this.log, this.statusItem);
  }

  register(): void {
    const cmd = (id: string, fn: (...args: unknown[]) => unknown) =>
      this.disposables.push(
        vscode.commands.registerCommand(id, async (...args: unknown[]) => {
          try {
            return await fn(...args);
          } catch (e) {
            void vscode.window.showErrorMessage(`GitOps: ${e instanceof Error ? e.message : String(e)}`);
            return undefined;
          }
        }),
      );
    cmd('gitops.start', () => this.startByHand());
    cmd('gitops.restart', () => this.restartAll());
    cmd('gitops.showOutput', () => this.log.show(true));
    cmd('gitops.promoteService', () => this.promote());
    cmd('gitops.pinPrevious', () => this.pinPrevious());
    cmd('gitops.showMatrix', () => this.showMatrix());
    // Commands the server's code actions may carry, routed to the active folder's server.
    for (const c of SERVER_COMMANDS) {
      cmd(c, async (...args: unknown[]) => (await this.pickServer())?.execute(c, args));
    }

    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        for (const s of this.servers.values()) {
          const action = changeAction((section) => e.affectsConfiguration(section, s.folder.uri));
          if (action === 'restart') {
            void s.restart();
          } else if (action === 'notify') {
            s.notifySettings();
          }
        }
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(async (e) => {
        for (const f of e.removed) {
          const s = this.servers.get(f.uri.toString());
          this.servers.delete(f.uri.toString());
          await s?.stop();
        }
        for (const f of e.added) {
          if (await this.qualifies(f)) {
            await this.startFolder(f);
          }
        }
        this.refreshStatus();
      }),
      // A Flux object opened in a folder not recognised at start-up.
      vscode.workspace.onDidOpenTextDocument((doc) => void this.considerDocument(doc)),
      vscode.window.onDidChangeActiveTextEditor(() => this.refreshStatus()),
    );
  }

  async startDetected(): Promise<void> {
    for (const f of vscode.workspace.workspaceFolders ?? []) {
      if (await this.qualifies(f)) {
        await this.startFolder(f);
      }
    }
    for (const doc of vscode.workspace.textDocuments) {
      await this.considerDocument(doc);
    }
    this.refreshStatus();
  }

  private async considerDocument(doc: vscode.TextDocument): Promise<void> {
    if (doc.uri.scheme !== 'file' || doc.languageId !== 'yaml') {
      return;
    }
    const f = vscode.workspace.getWorkspaceFolder(doc.uri);
    if (f && !this.servers.has(f.uri.toString()) && looksLikeFlux(doc.getText(new vscode.Range(0, 0, 400, 0)))) {
      await this.startFolder(f);
    }
  }

  /** applications/overlays or .gitops.yaml at the folder root, else a Flux object among its first YAML files. */
  private async qualifies(folder: vscode.WorkspaceFolder): Promise<boolean> {
    if (folder.uri.scheme !== 'file') {
      return false;
    }
    for (const m of MARKER_PATHS) {
      if (fs.existsSync(path.join(folder.uri.fsPath, m))) {
        return true;
      }
    }
    const files = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/*.{yaml,yml}'), '**/{node_modules,.git,vendor}/**', 300);
    for (const f of files) {
      try {
        const fd = await fs.promises.open(f.fsPath, 'r');
        try {
          const buf = Buffer.alloc(16 * 1024);
          const { bytesRead } = await fd.read(buf, 0, buf.length, 0);
          if (looksLikeFlux(buf.subarray(0, bytesRead).toString('utf8'))) {
            return true;
          }
        } finally {
          await fd.close();
        }
      } catch {
        // unreadable file: not evidence either way
      }
    }
    return false;
  }

  private async startFolder(folder: vscode.WorkspaceFolder): Promise<FolderServer> {
    const key = folder.uri.toString();
    let s = this.servers.get(key);
    if (!s) {
      s = new FolderServer(folder, this);
      this.servers.set(key, s);
      await s.start();
    }
    return s;
  }

  private async startByHand(): Promise<void> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0) {
      void vscode.window.showWarningMessage('GitOps: open the folder of a GitOps repository first (File > Open Folder); the language server analyses a workspace folder.');
      return;
    }
    this.shown.clear(); // asked for by hand: say again what is missing
    const chosen = folders.length === 1 ? folders[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Start the GitOps language server for which folder?' });
    if (!chosen) {
      return;
    }
    const existing = this.servers.get(chosen.uri.toString());
    if (existing) {
      await existing.restart();
    } else {
      await this.startFolder(chosen);
    }
  }

  private async restartAll(): Promise<void> {
    this.shown.clear();
    if (this.servers.size === 0) {
      await this.startByHand();
      return;
    }
    await Promise.all([...this.servers.values()].map((s) => s.restart()));
  }

  /** Says once per window that no usable server was found, with the install command. */
  reportMissingServer(reason: string, message: string): void {
    const key = `${reason}:${message}`;
    if (this.shown.has(key) || (reason === 'not-found' && this.shown.has('not-found'))) {
      return;
    }
    this.shown.add(key);
    this.shown.add(reason);
    this.log.appendLine(message);
    void vscode.window.showErrorMessage(message, 'Copy Install Command', 'Open Settings').then((pick) => {
      if (pick === 'Copy Install Command') {
        void vscode.env.clipboard.writeText(INSTALL_COMMAND);
      } else if (pick === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', 'gitops.server.path');
      }
    });
  }

  /** The server of the active editor's folder, the only one, or the one the user picks. */
  private async pickServer(): Promise<FolderServer | undefined> {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const folder = uri && vscode.workspace.getWorkspaceFolder(uri);
    if (folder) {
      const s = this.servers.get(folder.uri.toString());
      if (s) {
        return s;
      }
    }
    const all = [...this.servers.values()];
    if (all.length === 0) {
      throw new Error('no GitOps language server is running: open a GitOps repository, or run "GitOps: Start Language Server"');
    }
    if (all.length === 1) {
      return all[0];
    }
    const pick = await vscode.window.showQuickPick(
      all.map((s) => ({ label: s.folder.name, description: s.folder.uri.fsPath, server: s })),
      { placeHolder: 'Which repository?' },
    );
    return pick?.server;
  }

  /** Overlay environment and service of the active editor's file, if it is in one. */
  private activeLocation(server: FolderServer): { env?: string; service?: string } {
    const uri = vscode.window.activeTextEditor?.document.uri;
    if (!uri || vscode.workspace.getWorkspaceFolder(uri)?.uri.toString() !== server.folder.uri.toString()) {
      return {};
    }
    return overlayLocation(path.relative(server.folder.uri.fsPath, uri.fsPath));
  }

  private async promote(): Promise<void> {
    const server = await this.pickServer();
    if (!server) {
      return;
    }
    const list = parseServiceList(await server.execute('gitops.services', []));
    if (list.services.length === 0) {
      throw new Error(`no service found under applications/overlays/*/services in ${server.folder.name}`);
    }
    if (list.environments.length < 2) {
      throw new Error('promotion needs an environment order of at least two environments: set environments in .gitops.yaml or the gitops.environments setting');
    }
    const here = this.activeLocation(server);
    const service = await vscode.window.showQuickPick(orderServices(list.services, here.service), { placeHolder: 'Promote which service?' });
    if (!service) {
      return;
    }
    const steps = promotionSteps(list.environments, here.env);
    const step = await vscode.window.showQuickPick(
      steps.map((s) => ({ label: s.to, description: `from ${s.from}`, step: s })),
      { placeHolder: `Promote ${service} to which environment?` },
    );
    if (!step) {
      return;
    }
    await this.runEdit(server, 'gitops.promote', promoteArguments(service, step.step), `Promoted ${service} from ${step.step.from} to ${step.step.to}`, () =>
      promoteArguments(service, step.step, true),
    );
  }

  private async pinPrevious(): Promise<void> {
    const server = await this.pickServer();
    if (!server) {
      return;
    }
    const sources = orderSources(parseSources(await server.execute('gitops.sources', [])), this.activeLocation(server).env);
    if (sources.length === 0) {
      throw new Error(`no GitRepository pinned to a tag in ${server.folder.name}`);
    }
    const pick = await vscode.window.showQuickPick(
      sources.map((s) => ({ label: s.name, description: `${s.cluster} @ ${s.tag || 'no tag'}`, detail: s.url, source: s })),
      { placeHolder: 'Pin which source back to its previous tag?', matchOnDescription: true },
    );
    if (!pick) {
      return;
    }
    await this.runEdit(server, 'gitops.pin', pinArguments(pick.source), `Pinned ${pick.source.name} (${pick.source.cluster}) to its previous tag`);
  }

  /** Runs a command that edits files; a refusal (the change would add errors) can be overridden. */
  private async runEdit(server: FolderServer, command: string, args: unknown[], what: string, forced?: () => unknown[]): Promise<void> {
    try {
      const r = parseEditResult(await server.execute(command, args));
      void vscode.window.showInformationMessage(describeEdit(what, r));
    } catch (e) {
      if (!(e instanceof ResponseError) || !forced) {
        throw e;
      }
      const pick = await vscode.window.showErrorMessage(`GitOps: ${e.message}`, { modal: true }, 'Apply Anyway');
      if (pick === 'Apply Anyway') {
        const r = parseEditResult(await server.execute(command, forced()));
        void vscode.window.showInformationMessage(describeEdit(what, r));
      }
    }
  }

  private async showMatrix(): Promise<void> {
    const server = await this.pickServer();
    if (!server) {
      return;
    }
    if (this.matrixPanel) {
      this.matrixPanel.server = server;
      this.matrixPanel.panel.reveal(vscode.ViewColumn.Beside);
    } else {
      const panel = vscode.window.createWebviewPanel('gitops.matrix', 'Environment Matrix', vscode.ViewColumn.Beside, { enableScripts: false });
      this.matrixPanel = { panel, server };
      panel.onDidDispose(() => (this.matrixPanel = undefined));
    }
    await this.renderMatrix();
  }

  /** Keeps an open matrix current after each analysis. */
  matrixMayHaveChanged(server: FolderServer): void {
    if (this.matrixPanel?.server === server) {
      void this.renderMatrix().catch((e) => this.log.appendLine(`matrix: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  private async renderMatrix(): Promise<void> {
    const m = this.matrixPanel;
    if (!m) {
      return;
    }
    const matrix = parseMatrix(await m.server.execute('gitops.matrix', []));
    m.panel.title = `Environment Matrix (${m.server.folder.name})`;
    m.panel.webview.html = renderMatrixHtml(matrix, { cspSource: m.panel.webview.cspSource, title: m.server.folder.name });
  }

  refreshStatus(): void {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const folder = uri && vscode.workspace.getWorkspaceFolder(uri);
    // The active editor's folder, else the first folder with a server.
    const s = (folder && this.servers.get(folder.uri.toString())) ?? [...this.servers.values()].sort((a, b) => a.folder.index - b.folder.index)[0];
    if (!s) {
      this.statusItem.hide();
      return;
    }
    const v = statusView(s.state, s.progress, s.status, s.detail);
    const multi = this.servers.size > 1;
    this.statusItem.text = v.text;
    this.statusItem.tooltip = multi ? `${s.folder.name}: ${v.tooltip}` : v.tooltip;
    this.statusItem.command = v.command;
    this.statusItem.backgroundColor =
      v.level === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : v.level === 'warning' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.statusItem.show();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.servers.values()].map((s) => s.stop()));
  }

  dispose(): void {
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}

let extension: GitopsExtension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extension = new GitopsExtension(context);
  context.subscriptions.push(extension);
  extension.register();
  await extension.startDetected();
}

export async function deactivate(): Promise<void> {
  await extension?.stopAll();
  extension = undefined;
}

// A stand-in for the `vscode` module, enough for the extension and
// vscode-languageclient to run in plain Node: it records what the extension
// shows (messages, status bar, webviews, diagnostics) and answers pickers
// from a script. Members it does not define are generic no-ops, listed in
// `unknown` so a test can see what it did not model.
import * as path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

type Listener<T> = (e: T) => unknown;

export class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  static from(...ds: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => ds.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (l: Listener<T>): Disposable => {
    this.listeners.push(l);
    return new Disposable(() => (this.listeners = this.listeners.filter((x) => x !== l)));
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) {
      l(e);
    }
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
    private readonly text: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', path.resolve(p), pathToFileURL(path.resolve(p)).toString());
  }
  static parse(s: string): Uri {
    if (s.startsWith('file:')) {
      return Uri.file(fileURLToPath(s));
    }
    return new Uri(s.split(':')[0], '', s);
  }
  get path(): string {
    return this.fsPath.replace(/\\/g, '/');
  }
  toString(): string {
    return this.text;
  }
  toJSON(): unknown {
    return { scheme: this.scheme, path: this.path };
  }
  with(): Uri {
    return this;
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: number | Position, b: number | Position, c?: number, d?: number) {
    this.start = typeof a === 'number' ? new Position(a, b as number) : a;
    this.end = typeof a === 'number' ? new Position(c!, d!) : (b as Position);
  }
}

export class Diagnostic {
  source?: string;
  code?: unknown;
  relatedInformation?: unknown[];
  tags?: number[];
  data?: unknown;
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity = 0,
  ) {}
}

export class CodeActionKind {
  static readonly Empty = new CodeActionKind('');
  static readonly QuickFix = new CodeActionKind('quickfix');
  static readonly Refactor = new CodeActionKind('refactor');
  static readonly RefactorRewrite = new CodeActionKind('refactor.rewrite');
  static readonly Source = new CodeActionKind('source');
  constructor(readonly value: string) {}
  append(part: string): CodeActionKind {
    return new CodeActionKind(this.value ? `${this.value}.${part}` : part);
  }
  contains(other: CodeActionKind): boolean {
    return this.value === '' || other.value === this.value || other.value.startsWith(this.value + '.');
  }
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class RelativePattern {
  constructor(
    readonly base: unknown,
    readonly pattern: string,
  ) {}
}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {}
}

export class WorkspaceEdit {
  readonly operations: { op: string; uri: Uri; edits?: unknown }[] = [];
  createFile(uri: Uri): void {
    this.operations.push({ op: 'create', uri });
  }
  deleteFile(uri: Uri): void {
    this.operations.push({ op: 'delete', uri });
  }
  renameFile(uri: Uri): void {
    this.operations.push({ op: 'rename', uri });
  }
  set(uri: Uri, edits: unknown): void {
    this.operations.push({ op: 'edit', uri, edits });
  }
  replace(uri: Uri, range: Range, text: string): void {
    this.operations.push({ op: 'edit', uri, edits: [{ range, text }] });
  }
  insert(uri: Uri, pos: Position, text: string): void {
    this.operations.push({ op: 'edit', uri, edits: [{ pos, text }] });
  }
  delete(uri: Uri, range: Range): void {
    this.operations.push({ op: 'edit', uri, edits: [{ range, text: '' }] });
  }
  entries(): [Uri, unknown][] {
    return this.operations.map((o) => [o.uri, o.edits]);
  }
  get size(): number {
    return this.operations.length;
  }
}

export class TextEdit {
  constructor(
    readonly range: Range,
    readonly newText: string,
  ) {}
  static replace(range: Range, newText: string): TextEdit {
    return new TextEdit(range, newText);
  }
}

export interface FakeOptions {
  folders: string[];
  /** gitops.* settings as a user would have set them (key without "gitops."). */
  settings: Record<string, unknown>;
  /** Answers to showQuickPick, in order: a label to pick, or undefined to cancel. */
  picks?: (string | undefined)[];
  /** Answers to message buttons, in order (undefined: dismissed). */
  buttons?: (string | undefined)[];
}

export interface Shown {
  level: 'info' | 'warning' | 'error';
  message: string;
  items: string[];
}

export function createFakeVscode(opts: FakeOptions) {
  const unknown = new Set<string>();
  const commands = new Map<string, (...a: unknown[]) => unknown>();
  const shown: Shown[] = [];
  const output: string[] = [];
  const diagnostics = new Map<string, Diagnostic[]>();
  const applied: WorkspaceEdit[] = [];
  const picks = [...(opts.picks ?? [])];
  const buttons = [...(opts.buttons ?? [])];
  const pickPlaceholders: string[] = [];
  const changedEmitter = new EventEmitter<unknown>();
  const statusItem = { text: '', tooltip: '' as unknown, command: '' as unknown, backgroundColor: undefined as unknown, visible: false, name: '' };
  const panels: { title: string; webview: { html: string; cspSource: string }; disposed: boolean }[] = [];
  const folders = opts.folders.map((f, index) => ({ uri: Uri.file(f), name: path.basename(f), index }));
  let settings = { ...opts.settings };
  let waiters: (() => void)[] = [];
  const poke = () => {
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
  };
  const event = () => new EventEmitter<unknown>().event;

  const show = (level: Shown['level']) => async (message: string, ...rest: unknown[]) => {
    const items = rest.filter((x): x is string => typeof x === 'string');
    shown.push({ level, message, items });
    poke();
    return buttons.shift();
  };

  function ns(name: string, members: Record<string, unknown>): Record<string, unknown> {
    return new Proxy(members, {
      get(t, p) {
        if (typeof p === 'symbol' || p in t) {
          return Reflect.get(t, p);
        }
        unknown.add(`${name}.${p}`);
        return () => new Disposable();
      },
    });
  }

  const api: Record<string, unknown> = {
    version: '1.82.0',
    Disposable,
    EventEmitter,
    Uri,
    Position,
    Range,
    Diagnostic,
    CodeActionKind,
    ThemeColor,
    RelativePattern,
    CancellationTokenSource,
    WorkspaceEdit,
    TextEdit,
    DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
    DiagnosticTag: { Unnecessary: 1, Deprecated: 2 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ViewColumn: { Active: -1, Beside: -2, One: 1 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    TextDocumentSaveReason: { Manual: 1, AfterDelay: 2, FocusOut: 3 },
    FileType: { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 },
    env: ns('env', { appName: 'Visual Studio Code', language: 'en', clipboard: { writeText: async () => undefined }, openExternal: async () => true }),
    commands: ns('commands', {
      registerCommand(id: string, fn: (...a: unknown[]) => unknown) {
        if (commands.has(id)) {
          throw new Error(`command '${id}' already exists`);
        }
        commands.set(id, fn);
        return new Disposable(() => commands.delete(id));
      },
      executeCommand: async (id: string, ...args: unknown[]) => commands.get(id)?.(...args),
    }),
    languages: ns('languages', {
      createDiagnosticCollection(name: string) {
        return {
          name,
          set(uri: Uri | [Uri, Diagnostic[]][], ds?: Diagnostic[]) {
            if (Array.isArray(uri)) {
              uri.forEach(([u, d]) => diagnostics.set(u.toString(), d ?? []));
            } else {
              diagnostics.set(uri.toString(), ds ?? []);
            }
            poke();
          },
          delete: (uri: Uri) => diagnostics.delete(uri.toString()),
          clear: () => diagnostics.clear(),
          get: (uri: Uri) => diagnostics.get(uri.toString()),
          forEach: () => undefined,
          dispose: () => undefined,
        };
      },
      match: () => 10,
    }),
    window: ns('window', {
      activeTextEditor: undefined,
      visibleTextEditors: [],
      tabGroups: { all: [], onDidChangeTabs: event() },
      onDidChangeActiveTextEditor: event(),
      onDidChangeVisibleTextEditors: event(),
      createOutputChannel: (name: string) => ({
        name,
        append: (s: string) => output.push(s),
        appendLine: (s: string) => output.push(s),
        replace: () => undefined,
        clear: () => undefined,
        show: () => undefined,
        hide: () => undefined,
        dispose: () => undefined,
      }),
      createStatusBarItem: () => Object.assign(statusItem, { show: () => ((statusItem.visible = true), poke()), hide: () => ((statusItem.visible = false), poke()), dispose: () => undefined }),
      showInformationMessage: show('info'),
      showWarningMessage: show('warning'),
      showErrorMessage: show('error'),
      showQuickPick: async (items: (string | { label: string })[] | Promise<(string | { label: string })[]>, o?: { placeHolder?: string }) => {
        const list = await items;
        pickPlaceholders.push(o?.placeHolder ?? '');
        const want = picks.shift();
        return list.find((i) => (typeof i === 'string' ? i : i.label) === want);
      },
      showWorkspaceFolderPick: async () => folders[0],
      createWebviewPanel: (_type: string, title: string) => {
        const p = { title, webview: { html: '', cspSource: 'vscode-webview://fake' }, disposed: false, reveal: () => undefined, onDidDispose: event() };
        panels.push(p);
        return p;
      },
      withProgress: async (_o: unknown, task: (p: unknown, t: unknown) => unknown) => task({ report: () => undefined }, new CancellationTokenSource().token),
    }),
    workspace: ns('workspace', {
      workspaceFolders: folders.length ? folders : undefined,
      textDocuments: [],
      notebookDocuments: [],
      getWorkspaceFolder: (uri: Uri) => folders.find((f) => uri.fsPath === f.uri.fsPath || uri.fsPath.startsWith(f.uri.fsPath + path.sep)),
      getConfiguration: (section?: string) => {
        const prefix = section ? `${section}.` : '';
        const value = (key: string) => settings[(prefix + key).replace(/^gitops\./, '')];
        return {
          get: (key: string, def?: unknown) => value(key) ?? def,
          has: (key: string) => value(key) !== undefined,
          inspect: (key: string) => ({ key, globalValue: value(key) }),
          update: async () => undefined,
        };
      },
      findFiles: async () => [],
      applyEdit: async (e: WorkspaceEdit) => {
        applied.push(e);
        poke();
        return true;
      },
      onDidChangeConfiguration: changedEmitter.event,
      onDidChangeWorkspaceFolders: event(),
      onDidOpenTextDocument: event(),
      onDidChangeTextDocument: event(),
      onDidCloseTextDocument: event(),
      onDidSaveTextDocument: event(),
      onWillSaveTextDocument: event(),
      onDidCreateFiles: event(),
      onDidRenameFiles: event(),
      onDidDeleteFiles: event(),
      onWillCreateFiles: event(),
      onWillRenameFiles: event(),
      onWillDeleteFiles: event(),
      onDidOpenNotebookDocument: event(),
      onDidChangeNotebookDocument: event(),
      onDidSaveNotebookDocument: event(),
      onDidCloseNotebookDocument: event(),
      createFileSystemWatcher: () => ({ onDidCreate: event(), onDidChange: event(), onDidDelete: event(), dispose: () => undefined }),
    }),
  };

  const vscode = new Proxy(api, {
    get(t, p) {
      if (typeof p === 'symbol' || p in t) {
        return Reflect.get(t, p);
      }
      unknown.add(String(p));
      // Classes the language client extends or instantiates without this test caring.
      return class {
        constructor(...args: unknown[]) {
          Object.assign(this, { args });
        }
      };
    },
  });

  return {
    vscode,
    unknown,
    commands,
    shown,
    output,
    diagnostics,
    applied,
    statusItem,
    panels,
    pickPlaceholders,
    /** Changes settings and fires onDidChangeConfiguration as VS Code does. */
    setSettings(next: Record<string, unknown>) {
      const changed = new Set([...Object.keys(settings), ...Object.keys(next)].filter((k) => JSON.stringify(settings[k]) !== JSON.stringify(next[k])));
      settings = { ...next };
      changedEmitter.fire({
        affectsConfiguration: (section: string) => [...changed].some((k) => `gitops.${k}` === section || `gitops.${k}`.startsWith(section + '.') || section.startsWith(`gitops.${k}.`)),
      });
    },
    /** Resolves when `cond` holds, re-checked after each recorded event; fails after `ms` with `what`. */
    async until<T>(what: string, cond: () => T | undefined | false, ms = 120_000): Promise<T> {
      const deadline = Date.now() + ms;
      for (;;) {
        const v = cond();
        if (v) {
          return v;
        }
        if (Date.now() > deadline) {
          throw new Error(`timed out waiting for ${what}; output:\n${output.slice(-20).join('\n')}\nshown: ${JSON.stringify(shown)}`);
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 100);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
  };
}

export type FakeVscode = ReturnType<typeof createFakeVscode>;

// Reads the header of an executable to tell which operating system and CPU it
// was built for, so a wrong-architecture gitops-lsp gets a clear message
// instead of an opaque "exec format error" or a silent crash loop.

/** Node's names (process.platform / process.arch) for what a binary targets. */
export interface BinaryTarget {
  os: 'linux' | 'darwin' | 'win32';
  /** Node's process.arch name, or "unknown(0x..)" for a machine we do not map. */
  arch: string;
}

export type BinaryKind =
  | { kind: 'native'; targets: BinaryTarget[] }
  | { kind: 'script' } // "#!" interpreter script: runs anywhere its interpreter does
  | { kind: 'unknown' };

/** Bytes worth reading: ELF and Mach-O fit in 64, PE needs the offset at 0x3c and the header it points to. */
export const HEADER_BYTES = 4096;

const elfMachines: Record<number, string> = {
  0x03: 'ia32',
  0x28: 'arm',
  0x3e: 'x64',
  0xb7: 'arm64',
  0xf3: 'riscv64',
  0x08: 'mips',
  0x15: 'ppc64',
  0x16: 's390x',
  0x102: 'loong64',
};

const machoCPUs: Record<number, string> = {
  0x00000007: 'ia32',
  0x01000007: 'x64',
  0x0000000c: 'arm',
  0x0100000c: 'arm64',
};

const peMachines: Record<number, string> = {
  0x014c: 'ia32',
  0x8664: 'x64',
  0xaa64: 'arm64',
  0x01c4: 'arm',
};

function name(table: Record<number, string>, code: number): string {
  return table[code] ?? `unknown(0x${code.toString(16)})`;
}

/** Classifies the first bytes of a file (HEADER_BYTES are enough). Never throws. */
export function readBinaryKind(buf: Uint8Array): BinaryKind {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length >= 2 && b[0] === 0x23 && b[1] === 0x21) {
    return { kind: 'script' };
  }
  // ELF: e_ident[EI_DATA] gives the byte order of e_machine at offset 18.
  if (b.length >= 20 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) {
    const machine = b[5] === 2 ? b.readUInt16BE(18) : b.readUInt16LE(18);
    return { kind: 'native', targets: [{ os: 'linux', arch: name(elfMachines, machine) }] };
  }
  if (b.length >= 8) {
    const le = b.readUInt32LE(0);
    const be = b.readUInt32BE(0);
    // Thin Mach-O, 32 or 64 bit, either byte order.
    if (le === 0xfeedface || le === 0xfeedfacf) {
      return { kind: 'native', targets: [{ os: 'darwin', arch: name(machoCPUs, b.readUInt32LE(4)) }] };
    }
    if (be === 0xfeedface || be === 0xfeedfacf) {
      return { kind: 'native', targets: [{ os: 'darwin', arch: name(machoCPUs, b.readUInt32BE(4)) }] };
    }
    // Universal (fat) Mach-O: big-endian header, then nfat_arch entries of 20
    // bytes (fat_arch) or 32 bytes (fat_arch_64). Java class files share the
    // magic, so a count beyond a few dozen means "not a fat binary".
    if (be === 0xcafebabe || be === 0xcafebabf) {
      const n = b.readUInt32BE(4);
      const size = be === 0xcafebabe ? 20 : 32;
      if (n > 0 && n < 32 && b.length >= 8 + n * size) {
        const targets: BinaryTarget[] = [];
        for (let i = 0; i < n; i++) {
          targets.push({ os: 'darwin', arch: name(machoCPUs, b.readUInt32BE(8 + i * size)) });
        }
        return { kind: 'native', targets };
      }
    }
  }
  // PE: "MZ", e_lfanew at 0x3c points at "PE\0\0" followed by the machine.
  if (b.length >= 0x40 && b[0] === 0x4d && b[1] === 0x5a) {
    const off = b.readUInt32LE(0x3c);
    if (off + 6 <= b.length && b.readUInt32BE(off) === 0x50450000) {
      return { kind: 'native', targets: [{ os: 'win32', arch: name(peMachines, b.readUInt16LE(off + 4)) }] };
    }
  }
  return { kind: 'unknown' };
}

/**
 * Whether a binary of this kind runs on the given platform. "#!" scripts run
 * wherever their interpreter does. Other files run nowhere but on Windows,
 * which starts .cmd and .bat files too. Apple silicon runs x64 Mach-O
 * binaries through Rosetta.
 */
export function runsOn(kind: BinaryKind, platform: string, arch: string): boolean {
  if (kind.kind === 'script') {
    return true;
  }
  if (kind.kind === 'unknown') {
    return platform === 'win32';
  }
  return kind.targets.some(
    (t) => t.os === platform && (t.arch === arch || (platform === 'darwin' && arch === 'arm64' && t.arch === 'x64')),
  );
}

/** "linux/arm64" or "darwin/x64+arm64", for messages. */
export function describeTargets(kind: BinaryKind): string {
  if (kind.kind !== 'native') {
    return kind.kind;
  }
  const os = [...new Set(kind.targets.map((t) => t.os))].join('+');
  return `${os}/${kind.targets.map((t) => t.arch).join('+')}`;
}

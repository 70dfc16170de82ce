// Synthetic executable headers for the tests.

/** A 64-byte ELF header for a machine, little- or big-endian. */
export function elf(machine: number, bigEndian = false): Buffer {
  const b = Buffer.alloc(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, bigEndian ? 2 : 1, 1], 0);
  if (bigEndian) {
    b.writeUInt16BE(machine, 18);
  } else {
    b.writeUInt16LE(machine, 18);
  }
  return b;
}

export function macho(cpu: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(0xfeedfacf, 0);
  b.writeUInt32LE(cpu, 4);
  return b;
}

export function pe(machine: number): Buffer {
  const b = Buffer.alloc(0x100);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.writeUInt32BE(0x50450000, 0x80);
  b.writeUInt16LE(machine, 0x84);
  return b;
}

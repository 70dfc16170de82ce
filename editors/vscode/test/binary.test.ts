import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describeTargets, readBinaryKind, runsOn } from '../src/binary';
import { elf, macho, pe } from './headers';

test('ELF headers give linux and the machine', () => {
  assert.deepEqual(readBinaryKind(elf(0x3e)), { kind: 'native', targets: [{ os: 'linux', arch: 'x64' }] });
  assert.deepEqual(readBinaryKind(elf(0xb7)), { kind: 'native', targets: [{ os: 'linux', arch: 'arm64' }] });
  assert.deepEqual(readBinaryKind(elf(0x16, true)), { kind: 'native', targets: [{ os: 'linux', arch: 's390x' }] });
  assert.equal(describeTargets(readBinaryKind(elf(0x1234))), 'linux/unknown(0x1234)');
});

test('Mach-O, universal Mach-O and PE headers', () => {
  assert.equal(describeTargets(readBinaryKind(macho(0x0100000c))), 'darwin/arm64');
  const fat = Buffer.alloc(8 + 2 * 20);
  fat.writeUInt32BE(0xcafebabe, 0);
  fat.writeUInt32BE(2, 4);
  fat.writeUInt32BE(0x01000007, 8);
  fat.writeUInt32BE(0x0100000c, 28);
  assert.equal(describeTargets(readBinaryKind(fat)), 'darwin/x64+arm64');
  assert.equal(describeTargets(readBinaryKind(pe(0x8664))), 'win32/x64');
  assert.equal(describeTargets(readBinaryKind(pe(0xaa64))), 'win32/arm64');
});

test('wrong architecture or operating system does not run', () => {
  assert.equal(runsOn(readBinaryKind(elf(0x3e)), 'linux', 'x64'), true);
  assert.equal(runsOn(readBinaryKind(elf(0xb7)), 'linux', 'x64'), false);
  assert.equal(runsOn(readBinaryKind(elf(0x3e)), 'darwin', 'x64'), false);
  assert.equal(runsOn(readBinaryKind(pe(0x8664)), 'linux', 'x64'), false);
  // Rosetta runs x64 on Apple silicon, not the other way round.
  assert.equal(runsOn(readBinaryKind(macho(0x01000007)), 'darwin', 'arm64'), true);
  assert.equal(runsOn(readBinaryKind(macho(0x0100000c)), 'darwin', 'x64'), false);
});

test('scripts run anywhere; garbage and truncated headers never throw and run only on Windows (.cmd, .bat)', () => {
  const script = readBinaryKind(Buffer.from('#!/bin/sh\nexec gitops-lsp "$@"\n'));
  assert.deepEqual(script, { kind: 'script' });
  assert.equal(runsOn(script, 'darwin', 'arm64'), true);
  for (const b of [Buffer.alloc(0), Buffer.from([0x7f, 0x45, 0x4c]), Buffer.from('MZ'), Buffer.from('hello world, not a binary')]) {
    const k = readBinaryKind(b);
    assert.equal(k.kind, 'unknown');
    assert.equal(runsOn(k, 'linux', 'x64'), false);
    assert.equal(runsOn(k, 'win32', 'x64'), true);
  }
  // A PE offset pointing past the buffer, and a "fat" header with absurd counts (a Java class file).
  const badPE = pe(0x8664);
  badPE.writeUInt32LE(0xffffff00, 0x3c);
  assert.equal(readBinaryKind(badPE).kind, 'unknown');
  const java = Buffer.alloc(64);
  java.writeUInt32BE(0xcafebabe, 0);
  java.writeUInt32BE(0x00000034, 4);
  assert.equal(readBinaryKind(java).kind, 'unknown');
});

test('the running node binary is recognised as built for this machine', () => {
  const fd = fs.openSync(process.execPath, 'r');
  const buf = Buffer.alloc(4096);
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  fs.closeSync(fd);
  const k = readBinaryKind(buf.subarray(0, n));
  assert.equal(k.kind, 'native');
  assert.equal(runsOn(k, process.platform, process.arch), true, describeTargets(k));
});

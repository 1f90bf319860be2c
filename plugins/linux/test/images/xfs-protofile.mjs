#!/usr/bin/env node
// Writes an mkfs.xfs protofile (xfs_mkfs(8), "-p protofile") for a host directory tree, so that
// mkfs.xfs populates a new filesystem from it without a mount.
//
//   node xfs-protofile.mjs DIR > proto
//
// Format, per mkfs.xfs(8): a boot-image line (unused: /dev/null), "blocks inodes" (0 0: sized
// by mkfs), then the root directory's mode line, its entries, and "$" closing each directory.
// An entry is "name mode uid gid" plus: a source file for regular files, the target for
// symlinks, "major minor" for devices. The mode is six characters: type (- b c d p l), setuid
// (u or -), setgid (g or -), then three octal permission digits; the sticky bit has no place
// in it and is lost. Hard links become separate copies. Names with whitespace cannot be written:
// such entries are left out and listed on stderr.
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2];
if (root === undefined) {
  process.stderr.write('usage: xfs-protofile.mjs DIR\n');
  process.exit(2);
}

const out = [];
const skipped = [];

function mode(st, type) {
  const perm = (st.mode & 0o777).toString(8).padStart(3, '0');
  return `${type}${st.mode & 0o4000 ? 'u' : '-'}${st.mode & 0o2000 ? 'g' : '-'}${perm}`;
}

function dir(path, depth) {
  for (const name of readdirSync(path).sort()) {
    const abs = join(path, name);
    if (/\s/.test(name) || /\s/.test(abs)) {
      skipped.push(abs);
      continue;
    }
    const st = lstatSync(abs);
    const pad = ' '.repeat(depth);
    const owner = `${st.uid} ${st.gid}`;
    if (st.isDirectory()) {
      out.push(`${pad}${name} ${mode(st, 'd')} ${owner}`);
      dir(abs, depth + 1);
      out.push(`${pad}$`);
    } else if (st.isSymbolicLink()) {
      const target = readlinkSync(abs);
      if (/\s/.test(target)) skipped.push(abs);
      else out.push(`${pad}${name} ${mode(st, 'l')} ${owner} ${target}`);
    } else if (st.isFile()) out.push(`${pad}${name} ${mode(st, '-')} ${owner} ${abs}`);
    else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const major = Math.floor(st.rdev / 256) & 0xfff;
      const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
      out.push(`${pad}${name} ${mode(st, st.isCharacterDevice() ? 'c' : 'b')} ${owner} ${major} ${minor}`);
    } else if (st.isFIFO()) out.push(`${pad}${name} ${mode(st, 'p')} ${owner}`);
    else skipped.push(abs); // sockets have no protofile type
  }
}

const rst = lstatSync(root);
out.push('/dev/null', '0 0', `${mode(rst, 'd')} ${rst.uid} ${rst.gid}`);
dir(root, 1);
out.push('$');
process.stdout.write(`${out.join('\n')}\n`);
if (skipped.length > 0)
  process.stderr.write(`xfs-protofile: left out ${skipped.length}: ${skipped.join(', ')}\n`);

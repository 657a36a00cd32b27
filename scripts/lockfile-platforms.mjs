#!/usr/bin/env node
/**
 * Keep package-lock.json valid for `npm ci` on every platform.
 *
 * Some registry mirrors (this project's build machines use one) answer 404 for native packages
 * of other platforms (e.g. @napi-rs/canvas-darwin-arm64). `npm install` then writes a lockfile
 * without them, and `npm ci` refuses it ("Missing: … from lock file"). This script adds the
 * missing optional platform packages back as lock entries with their os/cpu/libc, derived from
 * the package name, so `npm ci` skips them here and fetches them by name@version on a machine
 * of that platform. Run it after every `npm install` that changes the lockfile.
 */
import fs from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;

const OS = ['android', 'darwin', 'freebsd', 'linux', 'openbsd', 'openharmony', 'win32', 'sunos', 'aix'];
const CPU = ['arm64', 'arm', 'x64', 'ia32', 'riscv64', 'loong64', 'ppc64', 's390x', 'mips64el', 'wasm32'];

function platformOf(name) {
  const base = name.split('/').pop();
  const parts = base.split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  if (!os || !cpu) return null;
  // npm writes these keys in alphabetical order after "version"; match it so a later
  // `npm install` leaves the lockfile untouched
  const entry = { cpu: [cpu] };
  if (os === 'linux') entry.libc = [base.includes('musl') ? 'musl' : 'glibc'];
  return { ...entry, optional: true, os: [os] };
}

let added = 0;
for (const [where, pkg] of Object.entries(packages)) {
  for (const [dep, range] of Object.entries(pkg.optionalDependencies ?? {})) {
    const prefix = where ? `${where}/node_modules/` : 'node_modules/';
    if (packages[`${prefix}${dep}`] || packages[`node_modules/${dep}`]) continue;
    const platform = platformOf(dep);
    if (!platform || !/^\d+\.\d+\.\d+/.test(range)) continue; // only exact-versioned platform binaries
    packages[`node_modules/${dep}`] = { version: range, ...platform };
    added++;
  }
}
if (added) {
  // npm keeps the entries sorted by path
  lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'en'))));
  fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
}
console.log(`lockfile-platforms: added ${added} platform package entr${added === 1 ? 'y' : 'ies'}`);

/**
 * `npm run lock:prune`, after any `npm install` that rewrites package-lock.json.
 *
 * The registry this project installs from does not serve every platform build
 * of optional native packages (e.g. msgpackr-extract's darwin and win32
 * binaries), so npm records them as optional dependencies without entries, and
 * `npm ci` then refuses the lock file. Dropping the optional dependencies that
 * have no entry keeps the lock file installable; the packages concerned are
 * optional accelerators with pure-JS fallbacks.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
let pruned = 0;
for (const entry of Object.values(lock.packages)) {
  if (!entry.optionalDependencies) continue;
  for (const name of Object.keys(entry.optionalDependencies)) {
    if (!lock.packages[`node_modules/${name}`]) {
      delete entry.optionalDependencies[name];
      pruned += 1;
    }
  }
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`pruned ${pruned} optional dependencies without lock entries`);

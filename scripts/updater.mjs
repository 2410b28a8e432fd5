// The updater's two files, from the environment and the built bundles (no shell
// quoting: every value is JSON-encoded here).
//
//   node scripts/updater.mjs config
//     The `tauri build --config` overlay of a release that takes updates, from
//     LIMABAR_UPDATER_PUBKEY (the public key, as `tauri signer generate` wrote it),
//     LIMABAR_UPDATER_ENDPOINT (where latest.json is served) and, optionally,
//     LIMABAR_VERSION (the version to stamp, when it is not tauri.conf.json's).
//     With TAURI_SIGNING_PRIVATE_KEY set, the bundler also signs each bundle (.sig).
//
//   node scripts/updater.mjs manifest VERSION BASE_URL NOTES TARGET=BUNDLE...
//     latest.json for the plugin: each TARGET (linux-x86_64-deb, darwin-aarch64-app, …)
//     is downloaded from BASE_URL/<file name of BUNDLE> and carries BUNDLE.sig.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

function die(message) {
  console.error(`updater.mjs: ${message}`);
  process.exit(2);
}

function config() {
  const pubkey = process.env.LIMABAR_UPDATER_PUBKEY?.trim();
  const endpoint = process.env.LIMABAR_UPDATER_ENDPOINT?.trim();
  if (!pubkey) die('LIMABAR_UPDATER_PUBKEY is not set');
  if (!endpoint) die('LIMABAR_UPDATER_ENDPOINT is not set');
  const url = new URL(endpoint);
  // Plain HTTP only for a server on this machine (the update test's); the plugin
  // refuses it unless told, and a release must use HTTPS.
  const loopback = url.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol !== 'https:' && !loopback) die(`the endpoint must be https: ${endpoint}`);
  const overlay = {
    bundle: { createUpdaterArtifacts: Boolean(process.env.TAURI_SIGNING_PRIVATE_KEY) },
    plugins: {
      updater: {
        pubkey,
        endpoints: [endpoint],
        // The signature's trusted comment names the version it was signed for: an
        // endpoint that pairs an old, genuinely signed build with a newer version
        // number is refused (no forced downgrade).
        requireSignedVersion: true,
        ...(loopback ? { dangerousInsecureTransportProtocol: true } : {}),
      },
    },
  };
  if (process.env.LIMABAR_VERSION) overlay.version = process.env.LIMABAR_VERSION;
  process.stdout.write(JSON.stringify(overlay, null, 2) + '\n');
}

function manifest([version, baseUrl, notes, ...targets]) {
  if (!version || !baseUrl || targets.length === 0) die('usage: manifest VERSION BASE_URL NOTES TARGET=BUNDLE...');
  const platforms = {};
  for (const t of targets) {
    const at = t.indexOf('=');
    if (at < 1) die(`not TARGET=BUNDLE: ${t}`);
    const [target, bundle] = [t.slice(0, at), t.slice(at + 1)];
    let signature;
    try {
      signature = readFileSync(`${bundle}.sig`, 'utf8').trim();
    } catch {
      die(`no signature beside ${bundle} (was TAURI_SIGNING_PRIVATE_KEY set for the build?)`);
    }
    platforms[target] = { signature, url: `${baseUrl.replace(/\/$/, '')}/${encodeURIComponent(basename(bundle))}` };
  }
  const latest = { version, notes, pub_date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), platforms };
  process.stdout.write(JSON.stringify(latest, null, 2) + '\n');
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'config') config();
else if (command === 'manifest') manifest(rest);
else die('usage: updater.mjs config | manifest VERSION BASE_URL NOTES TARGET=BUNDLE...');

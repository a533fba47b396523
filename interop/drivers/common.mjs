// What the Node drivers of the interop suite share (see docs/interop.md): their command line,
// the suite's browser (target/debug/fc-interop-browser, one process and cookie jar per journey)
// and the checks of the identity every journey must end with.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

/// The flags every driver takes; interop/run passes them all.
export function driverArgs() {
  const { values } = parseArgs({
    options: {
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      alg: { type: 'string' },
      'redirect-uri': { type: 'string' },
      'post-logout-redirect-uri': { type: 'string' },
      mode: { type: 'string' },
      idp: { type: 'string' },
      browser: { type: 'string' },
    },
  });
  for (const [name, value] of Object.entries(values)) {
    if (!value) throw new Error(`--${name} is empty`);
  }
  const missing = ['issuer', 'client-id', 'client-secret', 'alg', 'redirect-uri',
    'post-logout-redirect-uri', 'mode', 'idp', 'browser'].filter((n) => !(n in values));
  if (missing.length) throw new Error(`missing flags: ${missing.map((n) => `--${n}`).join(' ')}`);
  if (!['strict', 'relaxed'].includes(values.mode)) throw new Error('--mode is strict or relaxed');
  return values;
}

/// The suite's browser: `walk(url)` resolves to the URL of the redirect to the client.
export class Browser {
  constructor(args) {
    this.child = spawn(args.browser, [
      '--stop-at', args['redirect-uri'],
      '--stop-at', args['post-logout-redirect-uri'],
      '--idp', args.idp,
    ], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async walk(url) {
    this.child.stdin.write(`${url}\n`);
    const { value, done } = await this.lines.next();
    if (done) throw new Error('the browser exited');
    if (value.startsWith('error: ')) throw new Error(`browser: ${value.slice(7)}`);
    return new URL(value);
  }

  close() {
    this.child.stdin.end();
  }
}

/// The person every journey logs in (fixtures/idp/users, and the foreign provider's one).
export function checkIdentity(claims, sub) {
  if (claims.sub !== sub) throw new Error(`userinfo sub ${claims.sub} is not the ID token's ${sub}`);
  if (claims.family_name !== 'TROIS' || claims.given_name !== 'Mélaine Évelyne') {
    throw new Error(`unexpected person ${claims.given_name} ${claims.family_name}`);
  }
  if (claims.birthdate !== '1981-07-27') throw new Error(`unexpected birthdate ${claims.birthdate}`);
}

/// Logout must come back to the client with its state.
export function checkLogout(url, args, state) {
  const expected = new URL(args['post-logout-redirect-uri']);
  if (url.origin + url.pathname !== expected.origin + expected.pathname) {
    throw new Error(`logout ended on ${url}`);
  }
  if (url.searchParams.get('state') !== state) throw new Error(`logout state ${url.searchParams.get('state')}`);
}

/// Runs a driver's journey: one `ok …` line and exit 0, or `FAIL …` and exit 1.
export async function run(label, journey) {
  let args;
  let browser;
  try {
    args = driverArgs();
    browser = new Browser(args);
    const summary = await journey(args, browser);
    console.log(`ok ${label} ${args.alg} ${args.mode} via ${args.idp}: ${summary}`);
  } catch (e) {
    const cause = e.cause ? ` (cause: ${JSON.stringify(e.cause)})` : '';
    console.log(`FAIL ${label} ${args?.alg ?? ''} ${args?.mode ?? ''}: ${e.message}${cause}`);
    process.exitCode = 1;
  } finally {
    browser?.close();
  }
}

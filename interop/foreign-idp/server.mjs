// A foreign identity provider for the interop suite (see docs/interop.md): node-oidc-provider,
// the engine FranceConnect's own services are built on, configured as little as an identity
// provider behind FranceConnect needs, and served over https with the suite's private CA, so the
// hub must trust that CA (SSL_CERT_FILE) to call it.
//
// What the hub expects of an identity provider (FranceConnect's partner documentation,
// https://docs.partenaires.franceconnect.gouv.fr/fi/): one client (the hub) with its callback
// and post-logout URLs, the scopes `openid profile email birth`, the claims of the identité pivot
// plus email, acr values eidas1 to eidas3, and an ID token signed with the algorithm pinned in
// the hub's registration (ES256 here). One person, `3_melaine` / `123`, logs in on a login page
// of our own; consent is implied (the hub is the provider's only, first-party client).
//
// Usage: node server.mjs --port N --cert chain.pem --key key.pem --client-id ID
//          --client-secret S --redirect-uri URL [...] --post-logout-redirect-uri URL [...]
// Prints `ready <issuer>` once it listens.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
  },
});
for (const name of ['port', 'cert', 'key', 'client-id', 'client-secret', 'redirect-uri', 'post-logout-redirect-uri']) {
  if (!args[name]) {
    console.error(`foreign-idp: --${name} is required`);
    process.exit(2);
  }
}
const issuer = `https://localhost:${args.port}`;

const PERSON = {
  login: '3_melaine',
  password: '123',
  claims: {
    given_name: 'Mélaine Évelyne',
    family_name: 'TROIS',
    preferred_username: 'TROIS',
    birthdate: '1981-07-27',
    gender: 'female',
    birthplace: '95277',
    birthcountry: '99100',
    email: 'wossewodda-3728@yopmail.com',
  },
};
const ACR_VALUES = ['eidas1', 'eidas2', 'eidas3'];

// A fresh signing key per run: the hub reads it from the JWKS.
const signingKey = {
  ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
  kid: `interop-${randomBytes(4).toString('hex')}`,
  alg: 'ES256',
  use: 'sig',
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    redirect_uris: args['redirect-uri'],
    post_logout_redirect_uris: args['post-logout-redirect-uri'],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'ES256',
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  scopes: ['openid', 'profile', 'email', 'birth'],
  claims: {
    openid: ['sub'],
    profile: ['given_name', 'family_name', 'preferred_username', 'birthdate', 'gender'],
    email: ['email'],
    birth: ['birthplace', 'birthcountry'],
  },
  acrValues: ACR_VALUES,
  // Lifetimes close to FranceConnect's (seconds); set, so the provider does not warn about them.
  ttl: {
    AuthorizationCode: 30,
    AccessToken: 60,
    IdToken: 60,
    Interaction: 600,
    Session: 1800,
    Grant: 1800,
  },
  // The hub is a confidential client and FranceConnect's protocol has no PKCE.
  pkce: { required: () => false },
  async findAccount(ctx, accountId) {
    if (accountId !== PERSON.login) return undefined;
    return { accountId, claims: async () => ({ sub: accountId, ...PERSON.claims }) };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // The provider's own form (with its CSRF token) and a button that confirms.
      logoutSource: async (ctx, form) => {
        ctx.body = page('Déconnexion', `<h1>Se déconnecter ?</h1>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Se déconnecter</button>`);
      },
    },
  },
});

function page(title, body) {
  return `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>${title}</title></head>
<body>${body}</body></html>`;
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, error) {
  return page('Connexion', `<h1>Fournisseur d'identité node-oidc-provider</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form id="login-form" method="post" action="/interaction/${escapeHtml(uid)}/login">
  <label for="login">Identifiant</label> <input id="login" name="login" required>
  <label for="password">Mot de passe</label> <input id="password" name="password" type="password" required>
  <button type="submit">Valider</button>
</form>`);
}

async function formBody(req) {
  let raw = '';
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > 16 * 1024) throw new Error('form too large');
  }
  return new URLSearchParams(raw);
}

// The login interaction: a form, then the provider resumes the authorization with the person,
// the acr the hub asked for (one value of ACR_VALUES), and a grant of the scopes asked.
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET' && !match[2]) {
    ctx.type = 'html';
    ctx.body = loginPage(details.uid);
    return undefined;
  }
  if (ctx.method !== 'POST' || !match[2]) return next();
  const form = await formBody(ctx.req);
  if (form.get('login') !== PERSON.login || form.get('password') !== PERSON.password) {
    ctx.type = 'html';
    ctx.body = loginPage(details.uid, 'Identifiant ou mot de passe incorrect');
    return undefined;
  }
  const asked = String(details.params.acr_values ?? '').split(' ')[0];
  const grant = new provider.Grant({ accountId: PERSON.login, clientId: details.params.client_id });
  grant.addOIDCScope(String(details.params.scope));
  const result = {
    login: { accountId: PERSON.login, acr: ACR_VALUES.includes(asked) ? asked : 'eidas1' },
    consent: { grantId: await grant.save() },
  };
  const location = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(location);
  return undefined;
});

const tls = { cert: readFileSync(args.cert), key: readFileSync(args.key) };
createServer(tls, provider.callback()).listen(Number(args.port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

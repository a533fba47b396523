// node-oidc-provider as a bare identity provider for the IdP benchmark (BENCHMARKS.md, "Our IdP
// against node-oidc-provider"): the code flow the hub drives (authorize → login form → code →
// token → userinfo), in memory (the provider's default adapter), over plain HTTP on loopback,
// with the same person, scopes, claims and ES256 ID tokens as our IdP's benchmark run. Nothing
// else: no logout, no consent page (the hub is a first-party client), no dev interactions.
//
// Usage: node node-idp.mjs [--port 8101]   (prints `ready <issuer>` once it listens)
// Driven by: loadgen --idp-flow http://127.0.0.1:8101 --idp-person 3_melaine:123 ...

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({ options: { port: { type: 'string', default: '8101' } } });
const issuer = `http://127.0.0.1:${args.port}`;

// The client and person of loadgen's defaults (the hub's registration at our IdP).
const CLIENT = {
  client_id: 'myclientidforfip1-low',
  client_secret: '7ae4fef2aab63fb78d777fe657b7536f',
  redirect_uris: ['http://localhost:8000/api/v2/oidc-callback'],
  response_types: ['code'],
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'client_secret_post',
  id_token_signed_response_alg: 'ES256',
};
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
  },
};

const provider = new Provider(issuer, {
  clients: [CLIENT],
  jwks: {
    keys: [{
      ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
      kid: 'bench', alg: 'ES256', use: 'sig',
    }],
  },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  scopes: ['openid', 'profile', 'birth'],
  claims: {
    openid: ['sub'],
    profile: ['given_name', 'family_name', 'preferred_username', 'birthdate', 'gender'],
    birth: ['birthplace', 'birthcountry'],
  },
  acrValues: ['eidas1', 'eidas2', 'eidas3'],
  ttl: { AuthorizationCode: 30, AccessToken: 60, IdToken: 60, Interaction: 600, Session: 1800, Grant: 1800 },
  pkce: { required: () => false },
  async findAccount(ctx, accountId) {
    if (accountId !== PERSON.login) return undefined;
    return { accountId, claims: async () => ({ sub: accountId, ...PERSON.claims }) };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: { devInteractions: { enabled: false } },
});

const loginPage = (uid) => `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Connexion</title></head>
<body><form id="login-form" method="post" action="/interaction/${uid}/login">
<input name="login" required> <input name="password" type="password" required>
<button type="submit">Valider</button></form></body></html>`;

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET' && !match[2]) {
    ctx.type = 'html';
    ctx.body = loginPage(details.uid);
    return undefined;
  }
  let raw = '';
  for await (const chunk of ctx.req) raw += chunk;
  const form = new URLSearchParams(raw);
  if (form.get('login') !== PERSON.login || form.get('password') !== PERSON.password) {
    ctx.status = 400;
    ctx.body = 'bad credentials';
    return undefined;
  }
  const grant = new provider.Grant({ accountId: PERSON.login, clientId: details.params.client_id });
  grant.addOIDCScope(String(details.params.scope));
  const location = await provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId: PERSON.login, acr: 'eidas1' },
    consent: { grantId: await grant.save() },
  }, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(location);
  return undefined;
});

createServer(provider.callback()).listen(Number(args.port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

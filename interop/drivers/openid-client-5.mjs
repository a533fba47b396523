// openid-client 5 (the Issuer.discover / Client API many FranceConnect integrations were written
// with) as a service provider of the hub: discovery, authorization code flow, the library's
// checks of the callback (state, iss) and of the ID token (signature with the hub's JWKS or the
// client secret for HS256, iss, aud, exp, iat, nonce), the JWT userinfo (signature and claims),
// then logout.

import { generators, Issuer } from 'openid-client-v5';

import { checkIdentity, checkLogout, run } from './common.mjs';

await run('openid-client-5', async (args, browser) => {
  const issuer = await Issuer.discover(`${args.issuer}/.well-known/openid-configuration`);
  if (issuer.issuer !== args.issuer) throw new Error(`discovered issuer ${issuer.issuer}`);
  const client = new issuer.Client({
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    redirect_uris: [args['redirect-uri']],
    post_logout_redirect_uris: [args['post-logout-redirect-uri']],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: args.alg,
    userinfo_signed_response_alg: args.alg,
  });

  const state = generators.state();
  const nonce = generators.nonce();
  const parameters = {
    scope: 'openid profile email birth',
    acr_values: 'eidas1',
    state,
    nonce,
  };
  // FranceConnect has no PKCE and refuses its parameters; the relaxed hub accepts S256.
  const verifier = generators.codeVerifier();
  if (args.mode === 'relaxed') {
    parameters.code_challenge = generators.codeChallenge(verifier);
    parameters.code_challenge_method = 'S256';
  }
  const callback = await browser.walk(client.authorizationUrl(parameters));

  const tokens = await client.callback(args['redirect-uri'], client.callbackParams(callback.href), {
    response_type: 'code',
    state,
    nonce,
    ...(args.mode === 'relaxed' && { code_verifier: verifier }),
  });
  const idToken = tokens.claims();
  if (idToken.acr !== 'eidas1') throw new Error(`acr ${idToken.acr}`);
  const userinfo = await client.userinfo(tokens);
  checkIdentity(userinfo, idToken.sub);

  const logoutState = generators.state();
  const logout = client.endSessionUrl({
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: args['post-logout-redirect-uri'],
    state: logoutState,
  });
  checkLogout(await browser.walk(logout), args, logoutState);
  return `sub ${idToken.sub.slice(0, 12)}…, acr ${idToken.acr}`;
});

// openid-client 6 (the functional API: discovery(), buildAuthorizationUrl()…) as a service
// provider of the hub: discovery, authorization code flow, the library's checks of the
// authorization response (state, iss), of the ID token and of the JWT userinfo, then logout.
//
// Version 6 checks the claims of every ID token and JWT userinfo (iss, aud, exp, iat, nonce, sub)
// but their signatures only with enableNonRepudiationChecks(), and only for asymmetric
// algorithms: with an HS256 client the signature is left unchecked (oauth4webapi refuses HS*
// there), which OpenID Connect allows for an ID token received from the token endpoint over TLS.
// The hub runs on plain http in the suite, hence allowInsecureRequests.

import * as client from 'openid-client-v6';

import { checkIdentity, checkLogout, run } from './common.mjs';

await run('openid-client-6', async (args, browser) => {
  const metadata = {
    client_id: args['client-id'],
    id_token_signed_response_alg: args.alg,
    userinfo_signed_response_alg: args.alg,
  };
  const config = await client.discovery(
    new URL(args.issuer),
    args['client-id'],
    metadata,
    client.ClientSecretPost(args['client-secret']),
    { execute: [client.allowInsecureRequests] },
  );
  if (args.alg !== 'HS256') client.enableNonRepudiationChecks(config);

  const state = client.randomState();
  const nonce = client.randomNonce();
  const parameters = {
    redirect_uri: args['redirect-uri'],
    response_type: 'code',
    scope: 'openid profile email birth',
    acr_values: 'eidas1',
    state,
    nonce,
  };
  // FranceConnect has no PKCE and refuses its parameters; the relaxed hub accepts S256.
  const verifier = client.randomPKCECodeVerifier();
  if (args.mode === 'relaxed') {
    parameters.code_challenge = await client.calculatePKCECodeChallenge(verifier);
    parameters.code_challenge_method = 'S256';
  }
  const callback = await browser.walk(client.buildAuthorizationUrl(config, parameters));

  const tokens = await client.authorizationCodeGrant(config, callback, {
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
    ...(args.mode === 'relaxed' && { pkceCodeVerifier: verifier }),
  });
  const idToken = tokens.claims();
  if (idToken.acr !== 'eidas1') throw new Error(`acr ${idToken.acr}`);
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
  checkIdentity(userinfo, idToken.sub);

  const logoutState = client.randomState();
  const logout = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: args['post-logout-redirect-uri'],
    state: logoutState,
  });
  checkLogout(await browser.walk(logout), args, logoutState);
  return `sub ${idToken.sub.slice(0, 12)}…, acr ${idToken.acr}`;
});

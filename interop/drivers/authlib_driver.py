"""Authlib as a service provider of the hub (see docs/interop.md): discovery, authorization code
flow, the library's own ID token validation (parse_id_token: signature, iss, aud, exp, iat,
nonce), the JWT userinfo checked with joserfc (Authlib's JOSE engine), then logout.

Authlib's client is normally used through its Flask, Django or Starlette integration; they are
thin layers over the framework-free classes OAuth2Mixin + OpenIDMixin on a requests session,
which this driver assembles the same way, keeping for itself only what a web framework does:
remember state, nonce and code verifier between the redirect and the callback.

Three things a FranceConnect integrator meets with Authlib, shown here:
- the token `leeway` must be below 60 s: FranceConnect's access tokens live 60 s and Authlib
  treats a token as expired `leeway` seconds before its end (default 60), so with the default
  every call with a fresh access token fails with InvalidTokenError (checked below);
- Authlib's default nonce has 20 characters, FranceConnect requires at least 22: pass one;
- parse_id_token verifies with the provider's JWKS only: an HS256 client (signed with its
  secret) puts its secret, as the only `oct` key, in the metadata's `jwks` (HS256 tokens carry
  no `kid`, and joserfc picks a key without one only from a set of one).
Authlib does not check the `iss` of the authorization response (RFC 9207): done here.
"""

import argparse
import base64
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

from authlib.common.security import generate_token
from authlib.integrations.base_client import (
    BaseApp,
    InvalidTokenError,
    OAuth2Mixin,
    OpenIDMixin,
)
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

# FranceConnect's access tokens and ID tokens live 60 s: a leeway below that.
LEEWAY = 10


class RequestsApp(OAuth2Mixin, OpenIDMixin, BaseApp):
    """Authlib's OpenID Connect client without a web framework."""

    client_cls = OAuth2Session


class Browser:
    """The suite's browser: walk(url) returns the URL of the redirect to the client."""

    def __init__(self, args):
        self.child = subprocess.Popen(
            [
                args.browser,
                "--stop-at",
                args.redirect_uri,
                "--stop-at",
                args.post_logout_redirect_uri,
                "--idp",
                args.idp,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def walk(self, url):
        self.child.stdin.write(url + "\n")
        self.child.stdin.flush()
        line = self.child.stdout.readline().strip()
        if not line:
            raise RuntimeError("the browser exited")
        if line.startswith("error: "):
            raise RuntimeError("browser: " + line[7:])
        return line

    def close(self):
        self.child.stdin.close()
        self.child.wait(timeout=10)


def query(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def make_app(args, **client_kwargs):
    return RequestsApp(
        None,
        name="franceconnect",
        client_id=args.client_id,
        client_secret=args.client_secret,
        server_metadata_url=args.issuer + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": "openid profile email birth",
            "token_endpoint_auth_method": "client_secret_post",
            **({"code_challenge_method": "S256"} if args.mode == "relaxed" else {}),
            **client_kwargs,
        },
    )


def keys_for(app, args):
    """The keys this client's ID tokens and userinfo verify with: the hub's JWKS, or for HS256
    the client secret alone (parse_id_token reads the metadata's `jwks` before the jwks_uri)."""
    if args.alg == "HS256":
        secret = base64.urlsafe_b64encode(args.client_secret.encode()).rstrip(b"=").decode()
        app.server_metadata["jwks"] = {"keys": [{"kty": "oct", "k": secret, "alg": "HS256"}]}
    return KeySet.import_key_set(app.fetch_jwk_set())


def journey(args, browser):
    app = make_app(args, leeway=LEEWAY)
    metadata = app.load_server_metadata()
    if metadata["issuer"] != args.issuer:
        raise RuntimeError("discovered issuer " + metadata["issuer"])
    keys = keys_for(app, args)

    # Authlib's own nonce (20 characters) is too short for FranceConnect (22 at least).
    request = app.create_authorization_url(
        args.redirect_uri, nonce=generate_token(32), acr_values="eidas1"
    )
    callback = query(browser.walk(request["url"]))
    if callback.get("state") != request["state"]:
        raise RuntimeError("state mismatch")
    if callback.get("iss") != metadata["issuer"]:
        raise RuntimeError("iss of the authorization response: " + str(callback.get("iss")))
    token = app.fetch_access_token(
        args.redirect_uri,
        code=callback["code"],
        **({"code_verifier": request["code_verifier"]} if "code_verifier" in request else {}),
    )
    id_token = app.parse_id_token(token, nonce=request["nonce"])
    if id_token["acr"] != "eidas1":
        raise RuntimeError("acr " + id_token["acr"])

    # The pitfall: with Authlib's default leeway (60 s) a fresh 60 s token already "expired".
    try:
        make_app(args).get(metadata["userinfo_endpoint"], token=token)
        raise RuntimeError("the default leeway accepted a 60 s access token: update docs/interop.md")
    except InvalidTokenError:
        pass
    response = app.get(metadata["userinfo_endpoint"], token=token)
    response.raise_for_status()
    if not response.headers["content-type"].startswith("application/jwt"):
        raise RuntimeError("userinfo is not a JWT: " + response.headers["content-type"])
    userinfo = jwt.decode(response.text, keys, registry=JWSRegistry(algorithms=[args.alg]))
    jwt.JWTClaimsRegistry(
        leeway=LEEWAY,
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": args.client_id},
        sub={"essential": True, "value": id_token["sub"]},
        exp={"essential": True},
    ).validate(userinfo.claims)
    person = userinfo.claims
    if (person["given_name"], person["family_name"], person["birthdate"]) != (
        "Mélaine Évelyne",
        "TROIS",
        "1981-07-27",
    ):
        raise RuntimeError("unexpected person " + person["given_name"] + " " + person["family_name"])

    logout = app.create_logout_url(
        post_logout_redirect_uri=args.post_logout_redirect_uri,
        id_token_hint=token["id_token"],
    )
    back = browser.walk(logout["url"])
    if not back.startswith(args.post_logout_redirect_uri) or query(back).get("state") != logout["state"]:
        raise RuntimeError("logout ended on " + back)
    return "sub {}…, acr {}".format(id_token["sub"][:12], id_token["acr"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("issuer", "client-id", "client-secret", "alg", "redirect-uri",
                 "post-logout-redirect-uri", "idp", "browser"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--mode", required=True, choices=["strict", "relaxed"])
    args = parser.parse_args()
    browser = Browser(args)
    try:
        summary = journey(args, browser)
        print(f"ok authlib {args.alg} {args.mode} via {args.idp}: {summary}")
    except Exception as e:  # every failure becomes the driver's one FAIL line
        print(f"FAIL authlib {args.alg} {args.mode}: {type(e).__name__}: {e}")
        sys.exit(1)
    finally:
        browser.close()


if __name__ == "__main__":
    main()

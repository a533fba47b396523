"""Cross-checks fc_plumbing::jwe against jwcrypto, an independent JOSE library.

For each key management algorithm FranceConnect uses (ECDH-ES, RSA-OAEP, RSA-OAEP-256, all with
A256GCM):
  (a) our tool signs claims (ES256, fc_plumbing::jose::sign_jwt) and encrypts the JWS to a key
      jwcrypto made; jwcrypto decrypts it, checks the header and verifies the inner signature;
  (b) jwcrypto signs a JWS and encrypts it to the key our tool publishes; our tool decrypts it.
It also checks that our kids are RFC 7638 thumbprints as jwcrypto computes them, and that our
tool refuses a token altered on the way or carrying another algorithm than the pinned one.

Then what a running FranceConnect+ hub really sends: for each algorithm jwcrypto makes the key
pair of a service provider and of a data provider, the hub tool (hub/examples/fcplus_tokens.rs)
registers them on a FranceConnect+ hub, drives a login and writes the ID token, the userinfo
answer and the checktoken answer as they came over the wire; jwcrypto decrypts each one, checks
its header is FranceConnect+'s and verifies the signed JWT inside with the hub's published keys.

Usage: check.py PATH_TO_JWE_TOOL PATH_TO_HUB_TOOL WORK_DIR
"""

import json
import subprocess
import sys

from jwcrypto import jwe, jwk, jws

ALGS = ["ECDH-ES", "RSA-OAEP", "RSA-OAEP-256"]
ENC = "A256GCM"

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok    " if ok else "FAIL  ") + name + ("" if ok or not detail else f": {detail}"))


def tool(*args, stdin=""):
    """Runs our tool; returns (exit status, stdout, stderr)."""
    run = subprocess.run([TOOL, *args], input=stdin, capture_output=True, text=True, timeout=120)
    return run.returncode, run.stdout.strip(), run.stderr.strip()


def tool_ok(*args, stdin=""):
    status, out, err = tool(*args, stdin=stdin)
    if status != 0:
        raise RuntimeError(f"jwe_tool {' '.join(args)} failed ({status}): {err}")
    return out


def recipient_key(alg):
    """A key of jwcrypto's own, and its public JWKS as an SP would publish it."""
    if alg == "ECDH-ES":
        key = jwk.JWK.generate(kty="EC", crv="P-256")
    else:
        key = jwk.JWK.generate(kty="RSA", size=2048)
    public = key.export_public(as_dict=True)
    public.update({"use": "enc", "alg": alg, "kid": key.thumbprint()})
    return key, {"keys": [public]}


def ours_to_jwcrypto(alg, work, our_keys):
    key, jwks = recipient_key(alg)
    jwks_file = f"{work}/recipient-{alg}.json"
    with open(jwks_file, "w") as f:
        json.dump(jwks, f)
    claims = {"iss": "https://hub.example", "sub": "abc", "given_name": "Angela", "alg_under_test": alg}
    compact = tool_ok("sign-encrypt", work, alg, jwks_file, stdin=json.dumps(claims))

    token = jwe.JWE(algs=[alg, ENC])
    try:
        token.deserialize(compact, key=key)
    except Exception as e:  # jwcrypto raises several types; any is a failure here
        check(f"{alg}: jwcrypto decrypts our JWE", False, repr(e))
        return
    check(f"{alg}: jwcrypto decrypts our JWE", True)
    header = json.loads(token.objects["protected"])
    expected = {"alg", "enc", "cty", "kid", "iss", "aud"} | ({"epk"} if alg == "ECDH-ES" else set())
    check(f"{alg}: header members", set(header) == expected, f"{sorted(header)}")
    check(
        f"{alg}: header values",
        header["alg"] == alg and header["enc"] == ENC and header["cty"] == "JWT"
        and header["kid"] == key.thumbprint(),
        json.dumps(header),
    )

    inner = jws.JWS()
    inner.deserialize(token.payload.decode())
    signing = [k for k in our_keys["sig"]["keys"] if k.get("alg") == "ES256"][0]
    try:
        inner.verify(jwk.JWK(**signing), alg="ES256")
        verified = json.loads(inner.payload) == claims
    except Exception as e:
        verified = False
        print(f"      inner JWS: {e!r}")
    check(f"{alg}: jwcrypto verifies our inner ES256 signature", verified)


def jwcrypto_to_ours(alg, work, our_keys):
    fit = [k for k in our_keys["enc"]["keys"] if k.get("alg") == alg and k.get("use") == "enc"]
    check(f"{alg}: we publish one key for it", len(fit) == 1, json.dumps(our_keys["enc"]))
    if len(fit) != 1:
        return
    public = jwk.JWK(**fit[0])
    check(f"{alg}: our kid is the RFC 7638 thumbprint", fit[0]["kid"] == public.thumbprint())

    signer = jwk.JWK.generate(kty="EC", crv="P-256")
    inner = jws.JWS(json.dumps({"sub": "from-jwcrypto", "alg_under_test": alg}).encode())
    inner.add_signature(signer, alg="ES256", protected=json.dumps({"alg": "ES256", "typ": "JWT"}))
    inner_compact = inner.serialize(compact=True)

    protected = {"alg": alg, "enc": ENC, "cty": "JWT", "kid": fit[0]["kid"]}
    token = jwe.JWE(inner_compact.encode(), protected=json.dumps(protected), algs=[alg, ENC])
    token.add_recipient(public)
    compact = token.serialize(compact=True)

    status, out, err = tool("decrypt", work, alg, stdin=compact)
    ok = status == 0 and json.loads(out)["plaintext"] == inner_compact
    check(f"{alg}: we decrypt jwcrypto's JWE", ok, err or out)
    if ok:
        check(f"{alg}: we report the key used", json.loads(out)["kid"] == fit[0]["kid"], out)

    parts = compact.split(".")
    middle = len(parts[3]) // 2
    parts[3] = parts[3][:middle] + ("A" if parts[3][middle] != "A" else "B") + parts[3][middle + 1:]
    status, _, err = tool("decrypt", work, alg, stdin=".".join(parts))
    check(f"{alg}: we refuse it altered", status == 1 and "does not decrypt" in err, err)

    other = next(a for a in ALGS if a != alg)
    status, _, err = tool("decrypt", work, other, stdin=compact)
    check(f"{alg}: we refuse it when {other} is pinned", status == 1 and "unexpected JWE alg" in err, err)


def open_nested(name, compact, key, alg, hub_keys, header_members):
    """Decrypts `compact` with jwcrypto, checks its protected header has exactly
    `header_members`, verifies the inner ES256 JWS with the hub's keys; returns (header, claims)."""
    token = jwe.JWE(algs=[alg, ENC])
    try:
        token.deserialize(compact, key=key)
    except Exception as e:
        check(f"{name}: jwcrypto decrypts the hub's JWE", False, repr(e))
        return None, None
    check(f"{name}: jwcrypto decrypts the hub's JWE", True)
    header = json.loads(token.objects["protected"])
    check(f"{name}: header members", set(header) == header_members, f"{sorted(header)}")
    check(f"{name}: alg and enc", header.get("alg") == alg and header.get("enc") == ENC, json.dumps(header))
    inner = jws.JWS()
    try:
        inner.deserialize(token.payload.decode())
        kid = inner.jose_header.get("kid")
        signing = [k for k in hub_keys["keys"] if k.get("kid") == kid]
        check(f"{name}: inner JWS names a published ES256 key", len(signing) == 1 and
              inner.jose_header.get("alg") == "ES256", json.dumps(inner.jose_header))
        inner.verify(jwk.JWK(**signing[0]), alg="ES256")
        claims = json.loads(inner.payload)
    except Exception as e:
        check(f"{name}: jwcrypto verifies the hub's inner signature", False, repr(e))
        return header, None
    check(f"{name}: jwcrypto verifies the hub's inner signature", True)
    return header, claims


def hub_answers(hub_tool, work):
    keys = {}
    for alg in ALGS:
        key, public = recipient_key(alg)
        keys[alg] = key
        with open(f"{work}/recipient-{alg}.json", "w") as f:
            json.dump(public, f)
    run = subprocess.run([hub_tool, work], capture_output=True, text=True, timeout=600)
    print(run.stdout.strip())
    if run.returncode != 0:
        check("the hub tool drives a FranceConnect+ login per algorithm", False, run.stderr.strip()[-2000:])
        return
    with open(f"{work}/hub-jwks.json") as f:
        hub_keys = json.load(f)
    check("FranceConnect+ publishes its ES256 key only",
          [k.get("alg") for k in hub_keys["keys"]] == ["ES256"], json.dumps(hub_keys))
    for alg in ALGS:
        with open(f"{work}/hub-{alg}.json") as f:
            sent = json.load(f)
        epk = {"epk"} if alg == "ECDH-ES" else set()
        sp_header = {"alg", "enc", "cty", "kid", "iss", "aud"} | epk
        key = keys[alg]

        header, id_token = open_nested(f"hub {alg} ID token", sent["id_token"], key, alg, hub_keys, sp_header)
        if header:
            check(f"hub {alg} ID token: header values",
                  header["cty"] == "JWT" and header["kid"] == key.thumbprint()
                  and header["iss"] == sent["issuer"] and header["aud"] == sent["client_id"], json.dumps(header))
        if id_token:
            check(f"hub {alg} ID token: claims",
                  id_token["iss"] == sent["issuer"] and id_token["aud"] == sent["client_id"]
                  and id_token["acr"] == sent["acr"] and id_token["nonce"] == sent["nonce"],
                  json.dumps(id_token))

        header, userinfo = open_nested(f"hub {alg} userinfo", sent["userinfo"], key, alg, hub_keys, sp_header)
        if userinfo and id_token:
            check(f"hub {alg} userinfo: claims",
                  userinfo["sub"] == id_token["sub"] and userinfo["given_name"] == "Mélaine Évelyne"
                  and userinfo["rnipp_given_name"] == "Mélaine Évelyne" and "given_name_array" not in userinfo,
                  json.dumps(userinfo))

        dp_header = {"alg", "enc"} | epk
        _, answer = open_nested(f"hub {alg} checktoken", sent["checktoken"], key, alg, hub_keys, dp_header)
        if answer:
            introspection = answer.get("token_introspection", {})
            check(f"hub {alg} checktoken: claims",
                  set(answer) == {"iss", "aud", "iat", "token_introspection"}
                  and answer["iss"] == sent["issuer"] and answer["aud"] == sent["dp_client_id"]
                  and introspection.get("active") is True and introspection.get("acr") == sent["acr"]
                  and introspection.get("scope") == "dgfip_rfr", json.dumps(answer))


def main():
    hub_tool, work = sys.argv[2], sys.argv[3]
    for alg in ALGS:
        our_keys = json.loads(tool_ok("keys", work, alg))
        ours_to_jwcrypto(alg, work, our_keys)
        jwcrypto_to_ours(alg, work, our_keys)
    hub_answers(hub_tool, work)
    passed = sum(results)
    failed = len(results) - passed
    print(f"jose-interop: {passed} passed, {failed} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    TOOL = sys.argv[1]
    sys.exit(main())

"""The interop suite's private CA (see docs/interop.md): a CA and a certificate for `localhost`
(and 127.0.0.1) signed by it, for the https identity provider the hub must trust through
SSL_CERT_FILE. Written to the folder given as the only argument: ca.pem, localhost.pem (the
certificate chain) and localhost-key.pem."""

import pathlib
import sys

import trustme


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="FranceConnect demo interop suite")
    server = ca.issue_cert("localhost", "127.0.0.1")
    ca.cert_pem.write_to_path(str(out / "ca.pem"))
    server.private_key_pem.write_to_path(str(out / "localhost-key.pem"))
    with open(out / "localhost.pem", "wb") as chain:
        for pem in server.cert_chain_pems:
            chain.write(pem.bytes())


if __name__ == "__main__":
    main()

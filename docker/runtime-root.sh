#!/bin/sh
# Gathers in $1 the whole file system of the runtime image (a `FROM scratch` stage): the binaries
# given after it, the shared libraries they load (glibc, libm, libgcc_s and the dynamic loader,
# as `ldd` names them), the links naming each program, the CA bundle, the non-root user `demo`
# (uid 10001) and its folders.
set -eu
root=$1
shift
mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/app/keys" "$root/tmp"
for binary in "$@"; do
    cp "$binary" "$root/usr/local/bin/"
    # `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)` and `/lib64/ld-linux-x86-64.so.2 (0x…)`.
    ldd "$binary" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | while read -r lib; do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
done
# docker-compose.yml's `command: ["hub"]`…: fc-demo runs the program it is started as.
for program in hub service-provider-example identity-provider-example data-provider-example; do
    ln -s fc-demo "$root/usr/local/bin/$program"
done
# Debian's Mozilla bundle, not this stage's file (which may hold a build proxy's CA).
cat /usr/share/ca-certificates/mozilla/*.crt >"$root/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\ndemo:x:10001:10001:FranceConnect demo:/app:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\ndemo:x:10001:\n' >"$root/etc/group"
# Names: the container's /etc/hosts, then Docker's DNS (the compose services).
echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
chown -R 10001:10001 "$root/app"
chmod 1777 "$root/tmp"

#!/bin/sh
# Makes a private CA and one certificate for nats-1, nats-2 and nats-3 in
# /certs, once (the certs volume keeps them). To use your own, put ca.pem,
# nats.pem and nats-key.pem in the volume before the first start.
set -eu
cd /certs
if [ -s ca.pem ] && [ -s nats.pem ] && [ -s nats-key.pem ]; then
	echo "NATS certificates present"
	exit 0
fi
umask 077
openssl req -x509 -newkey rsa:3072 -nodes -days 825 -subj "/CN=collectagent NATS CA" \
	-keyout ca-key.pem -out ca.pem
openssl req -newkey rsa:3072 -nodes -subj "/CN=nats" -keyout nats-key.pem -out nats.csr
printf 'subjectAltName=DNS:nats-1,DNS:nats-2,DNS:nats-3,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >ext.cnf
openssl x509 -req -in nats.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 825 \
	-extfile ext.cnf -out nats.pem
rm -f nats.csr ext.cnf ca.srl
# The CA certificate is public (the app nodes read it as a non-root
# user); the keys stay readable by root (the NATS servers) only.
chmod 0444 ca.pem nats.pem
chmod 0400 nats-key.pem ca-key.pem
echo "NATS certificates created"

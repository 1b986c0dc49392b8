#!/bin/sh
# Loads the seed customers on the first start (an empty data volume), then runs slapd in the foreground.
# slapd binds port 389 as root and drops to the openldap user (-u/-g).
set -eu
CONF=/etc/ldap/ciam/slapd.conf
if [ ! -f /var/lib/ldap/ciam/data.mdb ]; then
  echo "ciam-slapd: empty directory, loading /etc/ldap/ciam/seed.ldif"
  slapadd -q -f "$CONF" -l /etc/ldap/ciam/seed.ldif
  chown -R openldap:openldap /var/lib/ldap/ciam
fi
# -d 256: connection and operation statistics on stdout (no passwords are logged at this level).
exec slapd -d 256 -f "$CONF" -h "ldap:///" -u openldap -g openldap

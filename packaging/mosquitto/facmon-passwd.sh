#!/bin/sh
# facmon-passwd.sh - the accounts facmon.acl names, in mosquitto's password
# file, and the agent's copy of its own password. Run as root on the
# gateway:
#
#   sudo sh facmon-passwd.sh [PASSWORD_FILE [AGENT_PASSWORD_FILE]]
#
# (defaults /etc/mosquitto/facmon.passwd and /etc/facmon/mqtt.pass).
# mosquitto_passwd asks for each password twice, on the terminal: they are
# never on a command line (ps, shell history) nor in any file but as salted
# hashes. It makes the accounts facmon (the agent), operators and dashboard;
# give each operator an account of their own with
#
#   sudo mosquitto_passwd /etc/mosquitto/facmon.passwd op-tanaka
#
# and a block for it in facmon.acl. Then `sudo systemctl reload mosquitto`
# rereads both files; connected clients keep their sessions.
#
# The agent's password is asked once more, for /etc/facmon/mqtt.pass (its
# mqtt.password_file: the first line is the password), root:facmon, 0640.
set -eu

passwd_file=${1:-/etc/mosquitto/facmon.passwd}
agent_pass=${2:-/etc/facmon/mqtt.pass}

umask 077
if [ -e "$passwd_file" ]; then
	echo "$passwd_file exists: adding or changing the accounts in it"
else
	touch "$passwd_file"
fi
for user in facmon operators dashboard; do
	echo "password for $user:"
	mosquitto_passwd "$passwd_file" "$user"
done
# mosquitto drops root and reads the file as its own user
chown root:mosquitto "$passwd_file"
chmod 0640 "$passwd_file"

if getent group facmon >/dev/null; then
	echo "the agent's password again (the one given for facmon), for $agent_pass:"
	stty -echo 2>/dev/null || true
	IFS= read -r pass
	stty echo 2>/dev/null || true
	printf '%s\n' "$pass" | install -m 0640 -o root -g facmon /dev/stdin "$agent_pass"
	echo "set mqtt.username = \"facmon\"; mqtt.password_file = \"$agent_pass\"; in /etc/facmon/facmon.cfg"
else
	echo "no group facmon (the package is not installed): write the agent's password to $agent_pass yourself"
fi

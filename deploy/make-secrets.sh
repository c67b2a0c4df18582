#!/bin/sh
# Make, once, the secrets docker-compose.yml mounts: a random password for each service's own
# broker user, one file each, in deploy/secrets/ (or the folder given as $1). A file that
# exists is kept, so this can be run again; delete one to change that password (the next
# `docker compose up` gives it to the user and the service).
#
#   sh deploy/make-secrets.sh
#
# The folder is readable by its owner alone; the files themselves by anyone who reaches them,
# since Compose mounts them as they are into containers that run as an unprivileged user.
set -eu
dir=${1:-"$(dirname "$0")/secrets"}
mkdir -p "$dir"
chmod 700 "$dir"
for service in plans approvals notifications results audit; do
    file="$dir/broker-$service"
    if [ ! -s "$file" ]; then
        # 24 random bytes as hex: letters and digits only, safe in a URL.
        od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$file"
        chmod 644 "$file"
    fi
done
echo "broker passwords in $dir"

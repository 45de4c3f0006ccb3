#!/usr/bin/env bash
# Starts "the GPU box down the hall" for the remote tiers: a host of its own in a network and mount namespace
# (cubelab-remote), reached from this machine only through SSH on a veth pair (10.77.0.1 here, 10.77.0.2 there;
# nothing routed off the machine), where this machine's workspace folders do not exist. It runs:
#   - Debian's OpenSSH server on 10.77.0.2:22 with host keys of its own;
#   - a second Docker engine (its own data root, exec root, pid file and socket /run/cubelab-remote/docker.sock)
#     holding the busybox test image;
#   - accounts: cubelab-remote (non-root, in the docker group, key login), cubelab-pw (password login only).
# And it writes, for the tests only, client material in /var/lib/cubelab-remote/client/: keys (one plain, one
# with a passphrase, one not authorised), a known_hosts with the remote's host key, and an ssh_config with the
# host alias `cubelab-remote`. Tests never use the machine's ~/.ssh.
# Idempotent: what runs stays running. Needs root (CI runs as root). Prints the facts the tests read.
set -euo pipefail

NS=cubelab-remote
HOST_IF=clr-host
REMOTE_IF=clr-remote
HOST_IP=10.77.0.1
REMOTE_IP=10.77.0.2
STATE=/var/lib/cubelab-remote
RUN=/run/cubelab-remote
CLIENT=$STATE/client
SOCK=$RUN/docker.sock
USER_KEY=cubelab-remote
USER_PW=cubelab-pw
PASSWORD='remote-Pa55word'
PASSPHRASE='correct horse battery'
IMAGE=cubelab-test/busybox:1
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
CLONE="$(cd "$HERE/../.." && pwd -P)"
LOG=/tmp/cubelab-remote.log

die() { echo "setup-remote: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (it creates a network namespace, accounts and a second Docker engine)"

bash "$HERE/setup-docker.sh" >/dev/null || die "the local Docker engine (setup-docker.sh) could not be started"

need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v rsync >/dev/null || need+=(rsync)
command -v ip >/dev/null || need+=(iproute2)
command -v unshare >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-remote: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${need[@]}" >/tmp/cubelab-apt-remote.log 2>&1; then
    apt-get update >>/tmp/cubelab-apt-remote.log 2>&1 || die "apt-get update failed (see /tmp/cubelab-apt-remote.log)"
    apt-get install -y --no-install-recommends "${need[@]}" >>/tmp/cubelab-apt-remote.log 2>&1 || die "apt-get install ${need[*]} failed"
  fi
fi

# ---- accounts
getent group docker >/dev/null || groupadd --system docker
id "$USER_KEY" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash --groups docker "$USER_KEY"
id "$USER_PW" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash --groups docker "$USER_PW"
echo "$USER_PW:$PASSWORD" | chpasswd
# A locked password makes OpenSSH refuse even key logins: give the key account an unusable but unlocked one.
usermod -p '*' "$USER_KEY"

# ---- keys: the remote's host keys, and the tests' client keys
mkdir -p "$STATE/ssh" "$CLIENT" "$STATE/authorized_keys" "$RUN" /run/sshd  # /run/sshd: privilege separation
chmod 755 "$STATE" "$STATE/authorized_keys"; chmod 700 "$CLIENT" "$STATE/ssh"
[ -f "$STATE/ssh/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C cubelab-remote-host -f "$STATE/ssh/host_ed25519"
# A second host key: the "changed host key" test presents it as the host's key in a known_hosts file.
[ -f "$STATE/ssh/other_host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C cubelab-other-host -f "$STATE/ssh/other_host_ed25519"
[ -f "$CLIENT/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C cubelab-tests -f "$CLIENT/id_ed25519"
[ -f "$CLIENT/id_passphrase" ] || ssh-keygen -q -t ed25519 -N "$PASSPHRASE" -C cubelab-tests-passphrase -f "$CLIENT/id_passphrase"
[ -f "$CLIENT/id_wrong" ] || ssh-keygen -q -t ed25519 -N '' -C cubelab-tests-not-authorised -f "$CLIENT/id_wrong"
cat "$CLIENT/id_ed25519.pub" "$CLIENT/id_passphrase.pub" >"$STATE/authorized_keys/$USER_KEY"
: >"$STATE/authorized_keys/$USER_PW"
chmod 644 "$STATE/authorized_keys/"*
echo "$REMOTE_IP $(cut -d' ' -f1-2 "$STATE/ssh/host_ed25519.pub")" >"$CLIENT/known_hosts"
echo "$REMOTE_IP $(cut -d' ' -f1-2 "$STATE/ssh/other_host_ed25519.pub")" >"$CLIENT/known_hosts.changed"
: >"$CLIENT/known_hosts.empty"
printf '%s\n' "$PASSPHRASE" >"$CLIENT/passphrase.txt"
printf '%s\n' "$PASSWORD" >"$CLIENT/password.txt"
cat >"$CLIENT/ssh_config" <<CONFIG
# The tests' own SSH configuration (never the machine's ~/.ssh).
Host cubelab-remote
  HostName $REMOTE_IP
  User $USER_KEY
  IdentityFile $CLIENT/id_ed25519
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile $CLIENT/known_hosts
  GlobalKnownHostsFile /dev/null
Host cubelab-remote-passphrase
  HostName $REMOTE_IP
  User $USER_KEY
  IdentityFile $CLIENT/id_passphrase
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile $CLIENT/known_hosts
  GlobalKnownHostsFile /dev/null
Host cubelab-remote-wrongkey
  HostName $REMOTE_IP
  User $USER_KEY
  IdentityFile $CLIENT/id_wrong
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile $CLIENT/known_hosts
  GlobalKnownHostsFile /dev/null
Host cubelab-remote-password
  HostName $REMOTE_IP
  User $USER_PW
  PubkeyAuthentication no
  PreferredAuthentications password
  IdentityAgent none
  UserKnownHostsFile $CLIENT/known_hosts
  GlobalKnownHostsFile /dev/null
CONFIG
chmod 600 "$CLIENT"/*

cat >"$STATE/sshd_config" <<SSHD
ListenAddress $REMOTE_IP
Port 22
HostKey $STATE/ssh/host_ed25519
PidFile $RUN/sshd.pid
AuthorizedKeysFile $STATE/authorized_keys/%u
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $USER_KEY $USER_PW
ClientAliveInterval 10
ClientAliveCountMax 3
AllowStreamLocalForwarding yes
# The remote account's docker CLI talks to the remote engine (DOCKER_HOST from ~/.ssh/environment): the
# benchmark compares CubeLab with the docker CLI's ssh:// transport, which runs the CLI's dial-stdio there.
PermitUserEnvironment DOCKER_HOST
AllowTcpForwarding yes
X11Forwarding no
Subsystem sftp internal-sftp
Match User $USER_PW
  PasswordAuthentication yes
SSHD

# ---- the network: a veth pair, one end in the namespace; no route off the machine
ip netns list | grep -qw "$NS" || ip netns add "$NS"
if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
  ip link add "$HOST_IF" type veth peer name "$REMOTE_IF"
  ip link set "$REMOTE_IF" netns "$NS"
  ip addr add "$HOST_IP/30" dev "$HOST_IF"
  ip netns exec "$NS" ip addr add "$REMOTE_IP/30" dev "$REMOTE_IF"
  ip netns exec "$NS" ip link set lo up
fi
ip link set "$HOST_IF" up
ip netns exec "$NS" ip link set "$REMOTE_IF" up

# ---- the remote host's processes: one launcher in the namespace, with a mount namespace where this
# machine's temporary folder and the folder holding the clone are empty (the workspace does not exist there).
remote_engine_answers() { /usr/bin/docker -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
sshd_answers() { timeout 3 bash -c "exec 3<>/dev/tcp/$REMOTE_IP/22 && head -c 4 <&3" 2>/dev/null | grep -q SSH; }
if ! remote_engine_answers || ! sshd_answers; then
  if [ -f "$RUN/launcher.pid" ] && kill -0 "$(cat "$RUN/launcher.pid")" 2>/dev/null; then
    kill -- "-$(cat "$RUN/launcher.pid")" 2>/dev/null || true
    sleep 1
  fi
  rm -f "$SOCK" "$RUN/docker.pid" "$RUN/sshd.pid"
  HIDE="$(dirname "$CLONE")"
  echo "setup-remote: starting the remote host (sshd and dockerd in namespace $NS; log: $LOG)"
  # nsenter (not `ip netns exec`, which remounts /sys and hides the cgroup hierarchy dockerd needs).
  setsid nsenter --net="/run/netns/$NS" unshare --mount --propagation private bash -c '
    set -e
    mount -t tmpfs -o mode=1777 cubelab-remote-tmp /tmp
    # (A clone under /tmp is already hidden by the new /tmp, and its folder no longer exists to mount on.)
    if [ "$1" != / ] && [ -d "$1" ]; then mount -t tmpfs -o mode=755 cubelab-remote-hidden "$1"; fi
    # A small disk of the remote account, for the "remote disk full" test.
    mkdir -p "$3/tiny" && mount -t tmpfs -o size=1m,mode=755 cubelab-remote-tiny "$3/tiny" && chown cubelab-remote "$3/tiny"
    /usr/sbin/dockerd --host "unix://$2" --data-root "$3/docker" --exec-root "$4/exec" --pidfile "$4/docker.pid" \
      --bridge=none --iptables=false --ip-masq=false --group docker &
    /usr/sbin/sshd -D -f "$3/sshd_config" -E "$4/sshd.log" &
    wait
  ' remote "$HIDE" "$SOCK" "$STATE" "$RUN" "$LOG" >>"$LOG" 2>&1 </dev/null &
  echo $! >"$RUN/launcher.pid"
  for _ in $(seq 1 120); do remote_engine_answers && sshd_answers && break; sleep 0.5; done
  remote_engine_answers || { tail -20 "$LOG" >&2 || true; die "the remote Docker engine did not answer on $SOCK within 60 s"; }
  sshd_answers || { tail -20 "$RUN/sshd.log" >&2 || true; die "the remote sshd did not answer on $REMOTE_IP:22 within 60 s"; }
fi
chgrp docker "$SOCK" 2>/dev/null || true
# A running sshd re-reads its configuration (written above) on SIGHUP; sessions stay.
if [ -f "$RUN/sshd.pid" ] && kill -0 "$(cat "$RUN/sshd.pid")" 2>/dev/null; then kill -HUP "$(cat "$RUN/sshd.pid")"; sleep 0.5; fi

if ! /usr/bin/docker -H "unix://$SOCK" image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "setup-remote: copying $IMAGE to the remote engine"
  /usr/bin/docker save "$IMAGE" | /usr/bin/docker -H "unix://$SOCK" load >/dev/null || die "could not load $IMAGE into the remote engine"
fi

for u in "$USER_KEY" "$USER_PW"; do
  h="$(getent passwd "$u" | cut -d: -f6)"
  mkdir -p "$h/.ssh" && echo "DOCKER_HOST=unix://$SOCK" >"$h/.ssh/environment"
  chown -R "$u:$u" "$h/.ssh" && chmod 700 "$h/.ssh" && chmod 600 "$h/.ssh/environment"
done
# The client material and the accounts' files must be as OpenSSH wants them.
chown -R root:root "$CLIENT"
echo "setup-remote: sshd $REMOTE_IP:22, engine $(/usr/bin/docker -H "unix://$SOCK" version --format '{{.Server.Version}}') at $SOCK (remote), client material in $CLIENT"

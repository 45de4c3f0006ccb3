#!/usr/bin/env bash
# Starts a real single-node Slurm cluster on this machine for the Slurm tests (Debian 12: Slurm 22.05):
#   - munged with Debian's key (/etc/munge/munge.key);
#   - MariaDB (mariadbd, no TCP: unix socket /run/mysqld/mysqld.sock only) holding slurmdbd's database;
#   - slurmdbd (accounting), the cluster registered with sacctmgr, an account `cubelab` with root and, when it
#     exists, the remote test host's account cubelab-remote (test/env/setup-remote.sh) as users;
#   - slurmctld and slurmd: one node with this machine's CPUs and memory, partition `debug` (default) and
#     partition `tiny` (MaxTime=1 minute, for the time-limit tests).
# The controller is reached at 10.77.0.1 when the remote test host's veth (clr-host) exists, so that the remote
# host's namespace reaches it too (it shares /etc, /run and the munge socket with this machine); otherwise at
# 127.0.0.1. Start setup-remote.sh first when both are wanted.
# Jobs run containers with Debian's docker (setup-docker.sh, started first) or podman, both as root; the
# busybox test image is loaded into podman's store too. Also installs shellcheck (the unit tier checks the
# generated batch scripts with it).
#
# Options (or the environment variables in brackets):
#   --accounting slurmdbd|none   [CUBELAB_SLURM_ACCOUNTING] none: AccountingStorageType=accounting_storage/none
#                                (only squeue/scontrol know jobs; slurmdbd is left as it is)
#   --max-array N                [CUBELAB_SLURM_MAX_ARRAY] MaxArraySize (array indices 0..N-1)
# Without options the default (slurmdbd, 1001) is restored. Idempotent: what runs stays running; a changed
# slurm.conf restarts slurmctld and slurmd only (jobs survive: state is saved, slurmstepd keeps running).
# Needs root (CI runs as root). Prints the facts at the end and writes them to /var/lib/cubelab-slurm/facts.env.
set -euo pipefail

CLUSTER=cubelab
ACCOUNT=cubelab
REMOTE_USER=cubelab-remote
REMOTE_IF=clr-host
REMOTE_ADDR=10.77.0.1
CONF=/etc/slurm
STATE=/var/lib/cubelab-slurm
LOGDIR=/var/log/slurm
PIDDIR=/run/slurm
DB=slurm_acct_db
DBUSER=slurm
DBSOCK=/run/mysqld/mysqld.sock
DBLOG=/var/log/cubelab-mariadb.log
APTLOG=/tmp/cubelab-apt-slurm.log
IMAGE=cubelab-test/busybox:1
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

die() { echo "setup-slurm: $*" >&2; exit 1; }
say() { echo "setup-slurm: $*"; }
tail_log() {
  if [ -f "$1" ]; then echo "--- last lines of $1" >&2; tail -25 "$1" >&2; fi
}

ACCOUNTING=${CUBELAB_SLURM_ACCOUNTING:-slurmdbd}
MAX_ARRAY=${CUBELAB_SLURM_MAX_ARRAY:-1001}
while [ $# -gt 0 ]; do
  case "$1" in
    --accounting) [ $# -ge 2 ] || die "--accounting needs a value (slurmdbd or none)"; ACCOUNTING=$2; shift 2 ;;
    --accounting=*) ACCOUNTING=${1#*=}; shift ;;
    --max-array) [ $# -ge 2 ] || die "--max-array needs a number"; MAX_ARRAY=$2; shift 2 ;;
    --max-array=*) MAX_ARRAY=${1#*=}; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) die "unknown option $1 (options: --accounting slurmdbd|none, --max-array N)" ;;
  esac
done
case "$ACCOUNTING" in slurmdbd|none) ;; *) die "--accounting must be slurmdbd or none, not \"$ACCOUNTING\"" ;; esac
{ [[ "$MAX_ARRAY" =~ ^[1-9][0-9]*$ ]] && [ "$MAX_ARRAY" -le 4000001 ]; } || die "--max-array must be a number from 1 to 4000001, not \"$MAX_ARRAY\""

[ "$(id -u)" = 0 ] || die "needs root (it installs packages and starts munged, MariaDB, slurmdbd, slurmctld and slurmd)"

bash "$HERE/setup-docker.sh" >/dev/null || die "the Docker engine (setup-docker.sh) could not be started"

# ---- packages
need=()
for p in slurmctld slurmd slurm-client munge mariadb-server slurmdbd shellcheck podman; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${need[@]}" >"$APTLOG" 2>&1; then
    apt-get update >>"$APTLOG" 2>&1 || die "apt-get update failed (see $APTLOG)"
    apt-get install -y --no-install-recommends "${need[@]}" >>"$APTLOG" 2>&1 || die "apt-get install ${need[*]} failed (see $APTLOG)"
  fi
fi
for b in /usr/sbin/slurmctld /usr/sbin/slurmd /usr/sbin/slurmdbd /usr/sbin/munged /usr/sbin/mariadbd /usr/bin/sbatch /usr/bin/shellcheck /usr/bin/podman; do
  [ -x "$b" ] || die "$b is missing after installing the packages"
done

mkdir -p "$STATE" "$CONF" "$LOGDIR" "$PIDDIR" /var/lib/slurm/slurmctld /var/lib/slurm/slurmd
chown slurm:slurm "$LOGDIR" "$PIDDIR" /var/lib/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd
chmod 755 "$PIDDIR"

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# Stops the daemon whose pid file is $1 (TERM, then KILL after 20 s).
stop_pidfile() {
  local f=$1 pid
  pid_alive "$f" || { rm -f "$f"; return 0; }
  pid=$(cat "$f")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$f"
}
# Replaces $1 by the content of $2 when they differ; says so through the exit code (0: changed).
install_if_changed() {
  if [ -f "$1" ] && cmp -s "$1" "$2"; then rm -f "$2"; return 1; fi
  mv -f "$2" "$1"; return 0
}

# ---- munge
if [ ! -s /etc/munge/munge.key ]; then
  say "creating the munge key"
  /usr/sbin/mungekey --create --keyfile=/etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
munge_answers() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
if ! munge_answers; then
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge && chmod 755 /run/munge
  say "starting munged"
  # --force: a socket left by a munged that died is taken over.
  runuser -u munge -- /usr/sbin/munged --force >/dev/null 2>&1 || { tail_log /var/log/munge/munged.log; die "munged did not start"; }
  for _ in $(seq 1 40); do munge_answers && break; sleep 0.25; done
  munge_answers || { tail_log /var/log/munge/munged.log; die "munged does not answer (munge -n | unmunge)"; }
fi

# ---- the controller's address and the node's hardware
HOST=$(hostname -s)
if ip -4 addr show dev "$REMOTE_IF" 2>/dev/null | grep -q "inet $REMOTE_ADDR/"; then ADDR=$REMOTE_ADDR; else ADDR=127.0.0.1; fi
NODE_LINE=$(/usr/sbin/slurmd -C | head -1)
[[ "$NODE_LINE" == NodeName=* ]] || die "slurmd -C did not describe this machine: $NODE_LINE"
# slurmd -C: NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105
HW=$(echo "$NODE_LINE" | tr ' ' '\n' | grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore|RealMemory)=' | tr '\n' ' ')

# ---- MariaDB and slurmdbd (accounting)
db_answers() { mariadb-admin --socket="$DBSOCK" ping >/dev/null 2>&1; }
dbd_answers() { timeout 10 sacctmgr -n -P show cluster format=Cluster >/dev/null 2>&1; }
start_db() {
  if db_answers; then return 0; fi
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  if [ ! -d /var/lib/mysql/mysql ]; then
    say "initialising MariaDB's data folder"
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql >>"$DBLOG" 2>&1 || { tail_log "$DBLOG"; die "mariadb-install-db failed"; }
  fi
  say "starting MariaDB (unix socket $DBSOCK only; log: $DBLOG)"
  # No TCP at all: slurmdbd reaches it through the socket (StorageHost=localhost).
  setsid /usr/sbin/mariadbd --user=mysql --skip-networking --socket="$DBSOCK" --pid-file=/run/mysqld/mysqld.pid \
    --log-error="$DBLOG" --innodb-lock-wait-timeout=900 >>"$DBLOG" 2>&1 </dev/null &
  for _ in $(seq 1 120); do db_answers && break; sleep 0.5; done
  db_answers || { tail_log "$DBLOG"; die "MariaDB did not answer on $DBSOCK within 60 s"; }
}

write_dbd_conf() {
  local pass
  pass=$(sed -n 's/^StoragePass=//p' "$CONF/slurmdbd.conf" 2>/dev/null || true)
  [ -n "$pass" ] || pass=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24)
  mariadb --socket="$DBSOCK" -u root <<SQL || die "could not create the database $DB and its user"
CREATE DATABASE IF NOT EXISTS $DB;
CREATE USER IF NOT EXISTS '$DBUSER'@'localhost' IDENTIFIED BY '$pass';
ALTER USER '$DBUSER'@'localhost' IDENTIFIED BY '$pass';
GRANT ALL ON $DB.* TO '$DBUSER'@'localhost';
FLUSH PRIVILEGES;
SQL
  cat >"$CONF/slurmdbd.conf.new" <<DBD
# Written by CubeLab's test/env/setup-slurm.sh.
AuthType=auth/munge
DbdHost=$HOST
DbdAddr=$ADDR
DbdPort=6819
SlurmUser=slurm
LogFile=$LOGDIR/slurmdbd.log
PidFile=$PIDDIR/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=$DBUSER
StoragePass=$pass
StorageLoc=$DB
DBD
  chown slurm:slurm "$CONF/slurmdbd.conf.new" && chmod 600 "$CONF/slurmdbd.conf.new"
  install_if_changed "$CONF/slurmdbd.conf" "$CONF/slurmdbd.conf.new"
}

# ---- slurm.conf (written before slurmdbd starts: sacctmgr reads AccountingStorageHost from it)
cat >"$CONF/slurm.conf.new" <<SLURM
# Written by CubeLab's test/env/setup-slurm.sh (accounting: $ACCOUNTING, MaxArraySize: $MAX_ARRAY).
ClusterName=$CLUSTER
SlurmctldHost=$HOST($ADDR)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=$PIDDIR/slurmctld.pid
SlurmdPidFile=$PIDDIR/slurmd.pid
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
# Finished jobs leave slurmctld's memory (squeue, scontrol) after 30 s; accounting keeps them.
MinJobAge=30
MaxArraySize=$MAX_ARRAY
KillWait=10
SlurmctldTimeout=60
SlurmdTimeout=60
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/$ACCOUNTING
$( [ "$ACCOUNTING" = slurmdbd ] && printf 'AccountingStorageHost=%s\nAccountingStoragePort=6819\n' "$ADDR" )
NodeName=$HOST NodeAddr=$ADDR ${HW}State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
PartitionName=tiny Nodes=$HOST MaxTime=1 State=UP
SLURM
chmod 644 "$CONF/slurm.conf.new"
SLURM_CHANGED=0
install_if_changed "$CONF/slurm.conf" "$CONF/slurm.conf.new" && SLURM_CHANGED=1
# Debian's slurm packages look for cgroup.conf only with cgroup plugins; none is used here.

if [ "$ACCOUNTING" = slurmdbd ]; then
  start_db
  DBD_CHANGED=0
  write_dbd_conf && DBD_CHANGED=1
  if [ "$DBD_CHANGED" = 1 ] || ! pid_alive "$PIDDIR/slurmdbd.pid"; then
    stop_pidfile "$PIDDIR/slurmdbd.pid"
    say "starting slurmdbd (log: $LOGDIR/slurmdbd.log)"
    /usr/sbin/slurmdbd >/dev/null 2>&1 || { tail_log "$LOGDIR/slurmdbd.log"; die "slurmdbd did not start"; }
  fi
  for _ in $(seq 1 120); do dbd_answers && break; sleep 0.5; done
  dbd_answers || { tail_log "$LOGDIR/slurmdbd.log"; die "slurmdbd does not answer sacctmgr within 60 s"; }
  # The cluster, an account, and the users whose jobs sacct reports.
  if ! sacctmgr -n -P show cluster format=Cluster | grep -qx "$CLUSTER"; then
    sacctmgr -i add cluster "$CLUSTER" >/dev/null || die "sacctmgr add cluster $CLUSTER failed"
  fi
  if ! sacctmgr -n -P show account format=Account | grep -qx "$ACCOUNT"; then
    sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" Description="CubeLab tests" Organization=cubelab >/dev/null \
      || die "sacctmgr add account $ACCOUNT failed"
  fi
  users=(root)
  id "$REMOTE_USER" >/dev/null 2>&1 && users+=("$REMOTE_USER")
  for u in "${users[@]}"; do
    if ! sacctmgr -n -P show assoc where cluster="$CLUSTER" user="$u" format=User | grep -qx "$u"; then
      sacctmgr -i add user "$u" Account="$ACCOUNT" Cluster="$CLUSTER" >/dev/null || die "sacctmgr add user $u failed"
    fi
  done
fi

# ---- slurmctld and slurmd
ctld_answers() { timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP'; }
FIRST_START=0
# A running controller that is busy gets time to answer before it is restarted (jobs of other tests may run).
if [ "$SLURM_CHANGED" = 0 ] && pid_alive "$PIDDIR/slurmctld.pid"; then
  for _ in $(seq 1 60); do ctld_answers && break; sleep 0.5; done
fi
if [ "$SLURM_CHANGED" = 1 ] || ! pid_alive "$PIDDIR/slurmctld.pid" || ! ctld_answers; then
  if [ "$SLURM_CHANGED" = 1 ] && pid_alive "$PIDDIR/slurmctld.pid"; then say "slurm.conf changed: restarting slurmctld"
  elif pid_alive "$PIDDIR/slurmctld.pid"; then say "slurmctld does not answer: restarting it"
  else FIRST_START=1; fi
  stop_pidfile "$PIDDIR/slurmctld.pid"
  say "starting slurmctld at $HOST($ADDR) (log: $LOGDIR/slurmctld.log)"
  /usr/sbin/slurmctld >/dev/null 2>&1 || { tail_log "$LOGDIR/slurmctld.log"; die "slurmctld did not start"; }
  for _ in $(seq 1 120); do ctld_answers && break; sleep 0.5; done
  ctld_answers || { tail_log "$LOGDIR/slurmctld.log"; die "slurmctld does not answer (scontrol ping) within 60 s"; }
fi
if [ "$SLURM_CHANGED" = 1 ] || ! pid_alive "$PIDDIR/slurmd.pid"; then
  if pid_alive "$PIDDIR/slurmd.pid"; then say "slurm.conf changed: restarting slurmd"; else FIRST_START=1; fi
  stop_pidfile "$PIDDIR/slurmd.pid"
  say "starting slurmd (log: $LOGDIR/slurmd.log)"
  /usr/sbin/slurmd >/dev/null 2>&1 || { tail_log "$LOGDIR/slurmd.log"; die "slurmd did not start"; }
fi

node_state() { sinfo -h -n "$HOST" -o '%T' 2>/dev/null | head -1; }
state=""
for _ in $(seq 1 120); do
  state=$(node_state)
  case "$state" in idle|mixed|allocated|completing) break ;; esac
  # A node left down or drained by an earlier configuration comes back (ReturnToService=2 does it on registration).
  case "$state" in down*|drain*) scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true ;; esac
  sleep 0.5
done
case "$state" in
  idle|mixed|allocated|completing) ;;
  *) tail_log "$LOGDIR/slurmd.log"; tail_log "$LOGDIR/slurmctld.log"; die "node $HOST is \"${state:-unknown}\", not idle, after 60 s" ;;
esac

# ---- podman: limits the containers may have on this machine (rootful podman raises nofile/nproc to values the
# kernel may refuse here), and the busybox test image in podman's store.
mkdir -p /etc/containers/containers.conf.d
nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576
nproc=$(ulimit -Hu); pidmax=$(cat /proc/sys/kernel/pid_max)
{ [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pidmax" ]; } && nproc=$pidmax
cat >/etc/containers/containers.conf.d/cubelab.conf.new <<PODMAN
# Written by CubeLab's test/env/setup-slurm.sh: the machine's own hard limits.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
PODMAN
install_if_changed /etc/containers/containers.conf.d/cubelab.conf /etc/containers/containers.conf.d/cubelab.conf.new || true
if ! podman image exists "$IMAGE" 2>/dev/null; then
  say "loading $IMAGE into podman's store"
  /usr/bin/docker save "$IMAGE" | podman load >/dev/null 2>&1 || die "could not load $IMAGE into podman"
fi
if [ ! -f "$STATE/podman-ok" ]; then
  out=$(timeout 120 podman run --rm --network none "$IMAGE" podman-check 2>&1) || die "podman cannot run a container: $out"
  : >"$STATE/podman-ok"
fi

# ---- first start: one job through the whole path
if [ "$FIRST_START" = 1 ] || [ ! -f "$STATE/smoke-ok" ]; then
  say "running a first job (sbatch --wait --wrap true)"
  out=$(cd /tmp && timeout 120 sbatch --wait --job-name=cubelab-setup-check --output=/dev/null --wrap true 2>&1) \
    || { echo "$out" >&2; tail_log "$LOGDIR/slurmd.log"; tail_log "$LOGDIR/slurmctld.log"; die "a first job did not complete"; }
  : >"$STATE/smoke-ok"
fi

ARRAY_NOW=$(scontrol show config | sed -n 's/^MaxArraySize *= *//p')
STORAGE_NOW=$(scontrol show config | sed -n 's/^AccountingStorageType *= *//p')
cat >"$STATE/facts.env" <<FACTS
CUBELAB_SLURM_CLUSTER=$CLUSTER
CUBELAB_SLURM_CONTROLLER=$HOST($ADDR):6817
CUBELAB_SLURM_ADDR=$ADDR
CUBELAB_SLURM_NODE=$HOST
CUBELAB_SLURM_ACCOUNTING=$ACCOUNTING
CUBELAB_SLURM_STORAGE=$STORAGE_NOW
CUBELAB_SLURM_MAX_ARRAY=$ARRAY_NOW
CUBELAB_SLURM_PARTITIONS=debug,tiny
FACTS
say "cluster $CLUSTER, controller $HOST($ADDR):6817, node $HOST (${HW% }), partitions debug (default) and tiny (MaxTime=1)"
say "accounting $ACCOUNTING ($STORAGE_NOW), MaxArraySize $ARRAY_NOW; facts in $STATE/facts.env"

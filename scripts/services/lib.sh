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

#!/usr/bin/env bash
# podnet tool shim. Installed once per lab and linked under each tool's name (ip, ping, tcpdump,
# ...): it sends argv to the lab's control endpoint on loopback, with the lab's secret, and
# prints what the tool in the lab prints, on stdout and stderr, then exits with its exit code.
# Ctrl-C (SIGINT) and SIGTERM are passed on to the tool, which may print its statistics before it
# ends; a second signal leaves at once. Bash builtins only, so that a call costs a few ms.
tool=${0##*/}
dir=${PODNET_LAB_DIR:-}
host=${PODNET_HOST:-}
if [[ -z $dir || -z $host ]]; then
  echo "podnet: $tool: PODNET_LAB_DIR and PODNET_HOST must be set (use: podnet sh HOST)" >&2
  exit 255
fi
if ! IFS= read -r port < "$dir/port" 2>/dev/null || ! IFS= read -r tok < "$dir/token" 2>/dev/null; then
  echo "podnet: $tool: the lab in $dir is not running" >&2
  exit 255
fi
if ! exec 3<>"/dev/tcp/127.0.0.1/$port"; then
  echo "podnet: $tool: cannot reach the lab at 127.0.0.1:$port" >&2
  exit 255
fi 2>/dev/null
sig=
trap '[[ -n $sig ]] && exit 130; sig=INT; printf "INT\n" >&3' INT
trap '[[ -n $sig ]] && exit 143; sig=TERM; printf "TERM\n" >&3' TERM
printf 'PODNET/1 %s\n%s\n%s\n%d\n' "$tok" "$host" "$PWD" $(($# + 1)) >&3
printf '%s\0' "$tool" "$@" >&3
while :; do
  IFS= read -r l <&3
  rc=$?
  if ((rc > 128)); then
    # read was interrupted by a signal we passed on: keep reading what the tool prints.
    continue
  elif ((rc != 0)); then
    break
  fi
  case $l in
    o*) printf '%s\n' "${l:1}" ;;
    p*) printf '%s' "${l:1}" ;;
    e*) printf '%s\n' "${l:1}" >&2 ;;
    f*) printf '%s' "${l:1}" >&2 ;;
    x*) exit "${l:1}" ;;
  esac
done
echo "podnet: $tool: the lab closed the connection" >&2
exit 255

#!/usr/bin/env bash
# podnet's ssh, installed in a lab's bin/: `ssh [OPTIONS] [USER@]HOST [COMMAND...]` opens a shell
# "on" HOST, a host of the lab, as the real ssh would on the lab's VMs: COMMAND (or an interactive
# shell) runs in a bash whose tools (ip, ping, reboot, ...) act on HOST. It never opens a network
# connection: the hosts exist only inside the lab.
dir=${PODNET_LAB_DIR:-}
if [[ -z $dir ]]; then
  echo "podnet: ssh: PODNET_LAB_DIR must be set (use: podnet sh HOST)" >&2
  exit 255
fi
usage() {
  echo "usage: ssh [-qtT] [-l login_name] [-o option] [-p port] destination [command [argument ...]]" >&2
  exit 255
}
while (($#)); do
  case $1 in
    -[qtTnNvCAaXxY46]*) shift ;;
    -[lopiFJ]) (($# >= 2)) || usage; shift 2 ;;
    -[lopiFJ]?*) shift ;;
    --) shift; break ;;
    -*) echo "ssh: unknown option -- ${1:1:1}" >&2; usage ;;
    *) break ;;
  esac
done
(($#)) || usage
dest=${1##*@}
shift
if [[ -z $dest ]] || ! grep -qxF "$dest" "$dir/hosts" 2>/dev/null; then
  echo "ssh: Could not resolve hostname $dest: Name or service not known" >&2
  exit 255
fi
export PODNET_HOST=$dest
export PATH="$dir/bin:$PATH"
if (($#)); then
  # As sshd does: the remote user's shell runs the arguments joined by spaces.
  exec bash --noprofile --norc -c "$*"
fi
export PS1="root@$dest:~# "
exec bash --noprofile --norc -i

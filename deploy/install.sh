#!/usr/bin/env bash
# install.sh: install Hearth as a systemd service on Debian or Raspberry Pi OS.
#
# usage: sudo deploy/install.sh [--dry-run] [BINARY]
#        sudo deploy/install.sh [--dry-run] --uninstall
#
# Installs BINARY (default: dist/hearth-linux-ARCH for this machine, from scripts/release.sh or a
# download) as /usr/local/bin/hearth, makes the system user `hearth` (systemd-sysusers), writes
# /etc/hearth/hearth.yaml from `hearth config default` only if there is none (your configuration is never
# overwritten) and hands /etc/hearth to that user (systemd-tmpfiles) so the dashboard can save it,
# installs deploy/systemd/hearth.service, and enables and starts it. Running it again changes only what differs, so it also upgrades Hearth.
# It refuses to start when another program already answers DNS on port 53, and says how to free it.
#
#   --dry-run     say what would be done, change nothing
#   --uninstall   stop Hearth and remove the service and the binary; keeps your configuration and data
#
# Environment: DESTDIR=DIR installs under DIR instead of / (an image being built): systemd is told
# with `systemctl --root`, nothing is started.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
root=${DESTDIR:-}
root=${root%/}
bin_dest=$root/usr/local/bin/hearth
conf_dir=$root/etc/hearth
conf=$conf_dir/hearth.yaml
unit_src=$here/systemd/hearth.service
unit_dest=$root/etc/systemd/system/hearth.service
sysusers_src=$here/systemd/hearth.sysusers
sysusers_dest=$root/usr/lib/sysusers.d/hearth.conf
tmpfiles_src=$here/systemd/hearth.tmpfiles
tmpfiles_dest=$root/usr/lib/tmpfiles.d/hearth.conf

dry_run=0
uninstall=0
src=""
changed=0 # set when the binary or the unit changed: a running Hearth is restarted

say() { printf '%s\n' "$*"; }
die() {
  printf 'install.sh: %s\n' "$*" >&2
  exit 1
}

# run prints a command and runs it, or with --dry-run only prints it.
run() {
  if [ "$dry_run" = 1 ]; then
    say "  would run: $*"
  else
    say "  + $*"
    "$@"
  fi
}

# systemd runs systemctl, on this machine or (DESTDIR) on the tree being built.
systemd() {
  if [ -n "$root" ]; then
    run systemctl --root="$root" "$@"
  else
    run systemctl "$@"
  fi
}

# usage prints the comment at the top of this file.
usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

# machine_arch is the release file suffix for this machine: amd64, arm64, armv7 or armv6.
machine_arch() {
  local deb
  deb=$(dpkg --print-architecture 2>/dev/null || true)
  case $deb in
    amd64 | arm64) say "$deb" ;;
    armhf) # Raspberry Pi OS 32-bit: ARMv6 on a Pi 1 or Pi Zero, ARMv7 or newer elsewhere.
      case $(uname -m) in armv6*) say armv6 ;; *) say armv7 ;; esac ;;
    armel) say armv6 ;;
    "")
      case $(uname -m) in
        x86_64) say amd64 ;;
        aarch64 | arm64) say arm64 ;;
        armv6*) say armv6 ;;
        armv7* | armv8*) say armv7 ;;
        *) die "unknown machine $(uname -m): pass the binary to install as an argument" ;;
      esac ;;
    *) die "no Hearth build for the Debian architecture $deb: pass the binary to install as an argument" ;;
  esac
}

# check_sum verifies the binary against a SHA256SUMS file next to it, when there is one listing it.
check_sum() {
  local dir name sums line
  dir=$(dirname "$1")
  name=$(basename "$1")
  sums=$dir/SHA256SUMS
  [ -f "$sums" ] || return 0
  line=$(grep -E "^[0-9a-f]{64}  \*?$name\$" "$sums" || true)
  [ -n "$line" ] || return 0
  if ! (cd "$dir" && printf '%s\n' "$line" | sha256sum -c --quiet - >/dev/null 2>&1); then
    die "$1 does not match its checksum in $sums: download it again"
  fi
  say "checksum: $name matches $sums"
}

# check_port53 refuses to go on when something other than Hearth listens on port 53.
check_port53() {
  if ! command -v ss >/dev/null; then
    say "port 53: cannot check, the ss command is missing (sudo apt-get install iproute2)"
    return 0
  fi
  local sockets others names
  sockets=$(ss -lntup 'sport = :53' 2>/dev/null | grep -v '^Netid' || true)
  if [ -z "$sockets" ]; then
    say "port 53: free"
    return 0
  fi
  others=$(printf '%s\n' "$sockets" | grep -v 'users:(("hearth",' || true)
  if [ -z "$others" ]; then
    say "port 53: held by Hearth itself (it will be restarted if anything changed)"
    return 0
  fi
  names=$(printf '%s\n' "$others" | grep -o '(("[^"]*"' | cut -d'"' -f2 | sort -u | paste -sd ' ' - || true)
  {
    say ""
    say "Port 53 (DNS) is already in use by: ${names:-a program ss cannot name (run this script with sudo)}"
    say "$others" | sed 's/^/    /'
    say ""
    say "Hearth must answer DNS on port 53, so it cannot start next to it. Nothing was changed."
    if printf '%s\n' "$others" | grep -q '"systemd-resolve"'; then
      cat <<'EOF'

This is systemd-resolved's "stub listener" on 127.0.0.53, this machine's own DNS helper.
Turn the stub listener off (systemd-resolved keeps running for everything else) with these commands:

    sudo mkdir -p /etc/systemd/resolved.conf.d
    printf '[Resolve]\nDNSStubListener=no\n' | sudo tee /etc/systemd/resolved.conf.d/hearth.conf
    sudo systemctl restart systemd-resolved

Then this machine needs another DNS server in /etc/resolv.conf, because 127.0.0.53 no longer answers.
Either your router (the address systemd-resolved learnt from it):

    sudo ln -sf /run/systemd/resolve/resolv.conf /etc/resolv.conf

or Hearth itself, once it runs (this machine is then filtered too):

    sudo rm -f /etc/resolv.conf
    echo 'nameserver 127.0.0.1' | sudo tee /etc/resolv.conf

Then run this script again.
EOF
    elif printf '%s\n' "$others" | grep -q '"pihole-FTL"'; then
      say ""
      say "That is Pi-hole. Use one DNS filter per machine: uninstall Pi-hole (pihole uninstall) or put"
      say "Hearth on another machine. Then run this script again."
    else
      say ""
      say "Find out which service it is (the pid is in the line above):"
      say ""
      say "    systemctl status PID"
      say ""
      say "If you do not need it (often dnsmasq, bind9 or unbound), stop it for good, e.g.:"
      say ""
      say "    sudo systemctl disable --now dnsmasq"
      say ""
      say "Then run this script again."
    fi
  } >&2
  exit 1
}

install_binary() {
  local version
  if ! version=$("$src" version 2>&1 | head -n 1); then
    die "$src does not run on this machine ($version): is it the build for $(machine_arch)?"
  fi
  say "binary: $src ($version)"
  if [ -f "$bin_dest" ] && cmp -s "$src" "$bin_dest"; then
    say "binary: $bin_dest is already this version"
    return 0
  fi
  changed=1
  if [ -f "$bin_dest" ]; then
    say "binary: replacing $bin_dest ($("$bin_dest" version 2>/dev/null | head -n 1 || echo "unknown version"))"
  else
    say "binary: installing $bin_dest"
  fi
  run mkdir -p "$(dirname "$bin_dest")"
  run install -m 0755 "$src" "$bin_dest.new"
  run mv -f "$bin_dest.new" "$bin_dest"
}

install_config() {
  if [ -e "$conf" ]; then
    say "config: keeping $conf (yours; never overwritten)"
    if [ "$dry_run" = 0 ] && ! "$bin_dest" check-config --config "$conf"; then
      die "$conf has the problems above: fix them, then run this script again"
    fi
    return 0
  fi
  say "config: writing the default configuration to $conf"
  if [ "$dry_run" = 1 ]; then
    say "  would run: $src config default > $conf"
    return 0
  fi
  mkdir -p "$conf_dir"
  "$src" config default >"$conf.new"
  chmod 0644 "$conf.new"
  mv -f "$conf.new" "$conf"
}

# install_user makes the system user `hearth` that the service runs as (with DESTDIR, in that tree).
install_user() {
  if [ -f "$sysusers_dest" ] && cmp -s "$sysusers_src" "$sysusers_dest"; then
    say "user: $sysusers_dest is up to date"
  else
    say "user: installing $sysusers_dest"
    run mkdir -p "$(dirname "$sysusers_dest")"
    run install -m 0644 "$sysusers_src" "$sysusers_dest"
  fi
  if [ -n "$root" ]; then
    run systemd-sysusers --root="$root" hearth.conf
  else
    run systemd-sysusers hearth.conf
  fi
}

# own_config hands /etc/hearth and hearth.yaml to the hearth user, so the dashboard can save it (with the
# previous versions beside it). With DESTDIR this happens at the image's first boot.
own_config() {
  if [ -f "$tmpfiles_dest" ] && cmp -s "$tmpfiles_src" "$tmpfiles_dest"; then
    say "config owner: $tmpfiles_dest is up to date"
  else
    say "config owner: installing $tmpfiles_dest (hearth owns $conf_dir)"
    run mkdir -p "$(dirname "$tmpfiles_dest")"
    run install -m 0644 "$tmpfiles_src" "$tmpfiles_dest"
  fi
  if [ -n "$root" ]; then
    say "config owner: applied at the first boot of $root"
  else
    run systemd-tmpfiles --create hearth.conf
  fi
}

install_unit() {
  if [ -f "$unit_dest" ] && cmp -s "$unit_src" "$unit_dest"; then
    say "unit: $unit_dest is up to date"
    return 0
  fi
  changed=1
  if [ -f "$unit_dest" ]; then say "unit: updating $unit_dest"; else say "unit: installing $unit_dest"; fi
  run mkdir -p "$(dirname "$unit_dest")"
  run install -m 0644 "$unit_src" "$unit_dest"
}

start_service() {
  if [ -n "$root" ]; then
    say "service: enabling hearth.service in $root (DESTDIR: nothing is started)"
    systemd enable hearth.service
    return 0
  fi
  local was_active=0
  if systemctl is-active --quiet hearth.service 2>/dev/null; then was_active=1; fi
  systemd daemon-reload
  systemd enable --now hearth.service
  if [ "$was_active" = 1 ] && [ "$changed" = 1 ]; then
    say "service: restarting Hearth to run the new version"
    systemd restart hearth.service
  elif [ "$was_active" = 1 ]; then
    say "service: already running, nothing changed"
  fi
  [ "$dry_run" = 1 ] && return 0
  sleep 2
  if ! systemctl is-active --quiet hearth.service; then
    die "Hearth did not stay running; its log says why: journalctl -u hearth -n 50 --no-pager"
  fi
}

next_steps() {
  local ip
  ip=$(hostname -I 2>/dev/null | awk '{print $1}' || true)
  cat <<EOF

Hearth is running. Check it from this machine:

    dig @127.0.0.1 example.com
    hearth explain --client ${ip:-127.0.0.1} www.roblox.com

Then tell your router to give out ${ip:-this machine's address} as the DNS server (deploy/README.md).

The family dashboard: set its password once, then open http://${ip:-this-machine}:8080/ on a phone:

    sudo hearth passwd

Your settings are in $conf; after changing them: sudo systemctl reload hearth
Hearth's log: journalctl -u hearth -f
EOF
}

do_install() {
  if [ -z "$src" ]; then
    src=$repo/dist/hearth-linux-$(machine_arch)
    [ -f "$src" ] || die "no binary at $src: build it (scripts/release.sh) or download hearth-linux-$(machine_arch) into $repo/dist/, or pass its path"
  fi
  [ -f "$src" ] || die "no such file: $src"
  [ -f "$unit_src" ] || die "no unit file at $unit_src: run install.sh from Hearth's deploy directory"
  [ -f "$sysusers_src" ] && [ -f "$tmpfiles_src" ] || die "no $sysusers_src or $tmpfiles_src: run install.sh from Hearth's deploy directory"
  check_sum "$src"
  check_port53

  install_binary
  install_user
  install_config
  own_config
  install_unit
  start_service
  if [ "$dry_run" = 1 ]; then
    say "dry run: nothing was changed"
  elif [ -z "$root" ]; then
    next_steps
  fi
}

do_uninstall() {
  say "Before this: make sure your router no longer gives out this machine as the DNS server,"
  say "or devices lose their internet names when Hearth stops. If this machine's /etc/resolv.conf"
  say "says nameserver 127.0.0.1, point it back at your router too."
  local found=0
  if [ -f "$unit_dest" ]; then
    found=1
    say "unit: removing $unit_dest"
    if [ -n "$root" ]; then
      systemd disable hearth.service
    else
      systemd disable --now hearth.service
    fi
    run rm -f "$unit_dest"
    [ -n "$root" ] || systemd daemon-reload
  fi
  if [ -f "$bin_dest" ]; then
    found=1
    say "binary: removing $bin_dest"
    run rm -f "$bin_dest"
  fi
  for f in "$sysusers_dest" "$tmpfiles_dest"; do
    if [ -f "$f" ]; then
      found=1
      say "removing $f (the system user hearth stays: files may still belong to it)"
      run rm -f "$f"
    fi
  done
  [ "$found" = 1 ] || say "Hearth is not installed: nothing to remove"
  cat <<EOF
Kept your configuration ($conf_dir) and Hearth's data (lists, journal, pauses) in $root/var/lib/hearth.
To delete them too:

    sudo rm -rf $conf_dir $root/var/lib/hearth $root/var/lib/private/hearth
EOF
  [ "$dry_run" = 0 ] || say "dry run: nothing was changed"
}

main() {
  local args="$*"
  while [ $# -gt 0 ]; do
    case $1 in
      --dry-run) dry_run=1 ;;
      --uninstall) uninstall=1 ;;
      -h | --help) usage; exit 0 ;;
      -*) die "unknown option $1 (see --help)" ;;
      *)
        [ -z "$src" ] || die "one binary only (see --help)"
        src=$1 ;;
    esac
    shift
  done
  if [ "$uninstall" = 1 ] && [ -n "$src" ]; then die "--uninstall takes no binary"; fi
  if [ -z "$root" ] && [ "$dry_run" = 0 ] && [ "$(id -u)" != 0 ]; then
    die "run it as root: sudo $0 $args"
  fi
  [ "$dry_run" = 0 ] || say "dry run: showing what would be done"
  if [ "$uninstall" = 1 ]; then do_uninstall; else do_install; fi
}

main "$@"

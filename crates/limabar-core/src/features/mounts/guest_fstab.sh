#!/bin/sh
# limabar-guest-fstab v1
#
# Added by Limabar to lima.yaml as a system provision script, so that mounts whose
# guest path holds a space come up in a NixOS guest (nixos-lima).
#
# Why: Lima writes each mount into cloud-init user-data unquoted, as
#   - [lima-<tag>, <mountPoint>, virtiofs, "rw,nofail", "0", "0"]
# and nixos-lima's lima-init.nix turns those lines with awk into the block between
# #LIMA-START and #LIMA-END of /etc/fstab, tab-separated but with the mount point
# verbatim. fstab(5) fields are split on any blank, so "/Users/me/My Projects" gives a
# line libmount cannot parse; it skips it ("parse error ... ignored") and the mount is
# silently missing (https://github.com/lima-vm/lima/issues/5136). Lima >= 2.2 fixes
# this for cloud-init guests in pkg/cidata/cidata.TEMPLATE.d/util/escape_fstab.sh, a
# boot script NixOS does not run. But lima-init.nix runs lima.yaml's system provision
# scripts right after it writes the block, and then runs `systemctl daemon-reload` and
# `systemctl restart local-fs.target`, so the block this script rewrites is the one
# systemd mounts.
#
# What: only inside the block, on virtiofs and 9p lines whose mount point (field 2)
# holds a literal space, the mount point is written with fstab(5) octal escapes:
# backslash as octal 134 first (so the escapes added next are not escaped again), then
# space as octal 040 and tab as 011 (a tab cannot reach field 2, the fields being split on tabs;
# Limabar refuses such paths anyway). As in escape_fstab.sh, a line without a literal
# space is left alone: an escaped line has none, so running twice is the same as once,
# and a line that nixos-lima may one day escape itself stays right. A backslash in a
# path without a space needs nothing: libmount reads it literally unless three octal
# digits follow, and Limabar refuses paths with those.
#
# When nothing needs escaping the file is not rewritten. Otherwise the new text goes
# to a temporary file in the same directory, which takes the original's mode and owner
# (cp -p), and is renamed over it. Only POSIX sh and awk (gawk, mawk, busybox) and
# coreutils are used: that is the PATH lima-init.nix runs this with (no cmp, for one).
#
# The text has no backslash and no tab on purpose: Limabar puts it into lima.yaml through
# `limactl edit --set`, whose yq decodes a string literal's backslashes twice from Lima
# 2.0.3 on and leaves an escaped tab undecoded before (docs/lima-contract.md 4.11), so
# the backslash and the tab are made with sprintf("%c", 92) and sprintf("%c", 9).
#
# LIMABAR_FSTAB exists only for tests.

set -eu

fstab=${LIMABAR_FSTAB:-/etc/fstab}

# With count_only=1 prints how many lines need escaping; otherwise prints the file
# with them escaped. LC_ALL=C: bytes, not characters, whatever the locale.
escape_block() {
    LC_ALL=C awk -v count_only="$1" '
    function escape(s,    out, i, c) {
        out = ""
        for (i = 1; i <= length(s); i++) {
            c = substr(s, i, 1)
            if (c == bs) c = bs "134"
            else if (c == " ") c = bs "040"
            else if (c == tab) c = bs "011"
            out = out c
        }
        return out
    }
    BEGIN { bs = sprintf("%c", 92); tab = sprintf("%c", 9); FS = OFS = tab; inblock = 0; n = 0 }
    $0 == "#LIMA-END" { inblock = 0 }
    inblock && ($3 == "virtiofs" || $3 == "9p") && index($2, " ") > 0 {
        $2 = escape($2)
        n++
    }
    $0 == "#LIMA-START" { inblock = 1 }
    { if (!count_only) print }
    END { if (count_only) print n }
    ' "$fstab"
}

[ -f "$fstab" ] || exit 0
n=$(escape_block 1)
[ "$n" -gt 0 ] || exit 0

tmp=$(mktemp "$(dirname -- "$fstab")/.fstab.limabar.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
cp -p -- "$fstab" "$tmp"
escape_block 0 >"$tmp"
mv -f -- "$tmp" "$fstab"
echo "limabar-guest-fstab: escaped $n mount point(s) in $fstab"

# The awk program that nixos-lima runs to write the #LIMA-START...#LIMA-END block of
# /etc/fstab from Lima's user-data: lima-init.nix, lines 66-81, of nixos-lima/nixos-lima
# at commit 46b73698c6298b9b3dfff7f99e531fbe6dad0d2e, verbatim except for the 4 spaces
# of indentation that Nix strips from the ''-string. A test fixture (guest_fstab/tests.rs), and limactl-sim's guest
# (crates/limactl-sim/src/guest.rs) runs it too.
    /^mounts:/ {
        flag = 1
        next
    }
    /^[^:]*:/ {
        flag = 0
    }
    /^ *$/ {
        flag = 0
    }
    flag {
        sub(/^ *- \[/, "")
        sub(/"?\] *$/, "")
        gsub("\"?, \"?", "\t")
        print $0
    }

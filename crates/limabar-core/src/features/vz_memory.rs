//! What a VZ VM holds of the Mac's memory: the physical footprint of the
//! `com.apple.Virtualization.VirtualMachine` process that runs it (`proc_pid_rusage`
//! `ri_phys_footprint`, what Activity Monitor's Memory column shows; a process of the
//! same user, so no root is needed).
//!
//! Which of those processes runs which VM: Lima's VZ driver runs inside the host agent,
//! which writes its own pid to `vz.pid` (`pkg/driver/vz/vm_darwin.go`), and the framework
//! starts one XPC VirtualMachine process per VM, a child of launchd. Its responsible
//! process is inherited from whoever ran `limactl start` (Terminal, Limabar), so it does
//! not tell VMs apart. The start order does: a host agent starts its VM process right
//! after it starts, so each VM process belongs to the host agent that started last
//! before it ([`owner_of`]). Not yet measured on a Mac (ARCHITECTURE.md, Known gaps).

/// A process and when it started (seconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Started {
    pub pid: u32,
    pub at: f64,
}

/// Clock granularity between the two start times.
const SLACK_SECS: f64 = 0.5;

/// The VM process `agent` started: among `vms`, those whose latest-started host agent
/// before them (of `agents`) is `agent`; the newest of them.
pub fn owner_of(agent: u32, agents: &[Started], vms: &[Started]) -> Option<u32> {
    vms.iter()
        .filter(|vm| {
            agents
                .iter()
                .filter(|a| a.at <= vm.at + SLACK_SECS)
                .max_by(|a, b| a.at.total_cmp(&b.at))
                .is_some_and(|a| a.pid == agent)
        })
        .max_by(|a, b| a.at.total_cmp(&b.at))
        .map(|vm| vm.pid)
}

/// The physical footprint of the VM process of the VZ instance in `dir` (whose parent is
/// `$LIMA_HOME`, where the other VMs' host agents are found).
#[cfg(target_os = "macos")]
pub fn held(dir: &std::path::Path) -> Option<u64> {
    let agent = read_pid(&dir.join("vz.pid")).or_else(|| read_pid(&dir.join("ha.pid")))?;
    let agents: Vec<Started> = std::fs::read_dir(dir.parent()?)
        .ok()?
        .flatten()
        .filter_map(|e| read_pid(&e.path().join("vz.pid")))
        .filter_map(started)
        .collect();
    let vms: Vec<Started> = sys::all_pids()
        .into_iter()
        .filter(|pid| sys::path(*pid).is_some_and(|p| p.ends_with(VM_PROCESS)))
        .filter_map(started)
        .collect();
    sys::footprint(owner_of(agent, &agents, &vms)?)
}

#[cfg(target_os = "macos")]
const VM_PROCESS: &str = "/com.apple.Virtualization.VirtualMachine";

#[cfg(target_os = "macos")]
fn read_pid(path: &std::path::Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(target_os = "macos")]
fn started(pid: u32) -> Option<Started> {
    Some(Started {
        pid,
        at: sys::start_time(pid)?,
    })
}

/// libproc, as `ps` and Activity Monitor use it.
#[cfg(target_os = "macos")]
mod sys {
    use std::ffi::c_void;

    pub fn all_pids() -> Vec<u32> {
        // SAFETY: a null buffer asks for the count only.
        let count = unsafe { libc::proc_listallpids(std::ptr::null_mut(), 0) };
        if count <= 0 {
            return Vec::new();
        }
        let mut pids = vec![0 as libc::c_int; count as usize + 64];
        let bytes = (pids.len() * std::mem::size_of::<libc::c_int>()) as libc::c_int;
        // SAFETY: the buffer holds `bytes` bytes of c_int, as passed.
        let n = unsafe { libc::proc_listallpids(pids.as_mut_ptr() as *mut c_void, bytes) };
        pids.truncate(n.max(0) as usize);
        pids.into_iter()
            .filter(|p| *p > 0)
            .map(|p| p as u32)
            .collect()
    }

    pub fn path(pid: u32) -> Option<String> {
        let mut buf = vec![0u8; libc::PROC_PIDPATHINFO_MAXSIZE as usize];
        // SAFETY: the buffer holds `buf.len()` bytes, as passed.
        let n = unsafe {
            libc::proc_pidpath(
                pid as libc::c_int,
                buf.as_mut_ptr() as *mut c_void,
                buf.len() as u32,
            )
        };
        if n <= 0 {
            return None;
        }
        buf.truncate(n as usize);
        String::from_utf8(buf).ok()
    }

    pub fn start_time(pid: u32) -> Option<f64> {
        // SAFETY: proc_bsdinfo is plain data; zeroed is a valid value.
        let mut info: libc::proc_bsdinfo = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::proc_bsdinfo>() as libc::c_int;
        // SAFETY: the buffer is one proc_bsdinfo of `size` bytes, as passed.
        let n = unsafe {
            libc::proc_pidinfo(
                pid as libc::c_int,
                libc::PROC_PIDTBSDINFO,
                0,
                &mut info as *mut libc::proc_bsdinfo as *mut c_void,
                size,
            )
        };
        (n == size).then(|| info.pbi_start_tvsec as f64 + info.pbi_start_tvusec as f64 / 1e6)
    }

    pub fn footprint(pid: u32) -> Option<u64> {
        // SAFETY: rusage_info_v2 is plain data; zeroed is a valid value.
        let mut info: libc::rusage_info_v2 = unsafe { std::mem::zeroed() };
        // SAFETY: RUSAGE_INFO_V2 fills one rusage_info_v2, the buffer passed.
        let rc = unsafe {
            libc::proc_pid_rusage(
                pid as libc::c_int,
                libc::RUSAGE_INFO_V2,
                &mut info as *mut libc::rusage_info_v2 as *mut libc::rusage_info_t,
            )
        };
        (rc == 0).then_some(info.ri_phys_footprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(pid: u32, at: f64) -> Started {
        Started { pid, at }
    }

    #[test]
    fn each_vm_process_belongs_to_the_host_agent_that_started_last_before_it() {
        // Agent 10 started at 100 and its VM at 101; agent 20 at 200, its VM at 200.4;
        // agent 30 at 300, its VM not started yet.
        let agents = [at(10, 100.0), at(20, 200.0), at(30, 300.0)];
        let vms = [at(11, 101.0), at(21, 200.4)];
        assert_eq!(owner_of(10, &agents, &vms), Some(11));
        assert_eq!(owner_of(20, &agents, &vms), Some(21));
        assert_eq!(owner_of(30, &agents, &vms), None);
        // Start times a hair apart in the other order (clock granularity) still match.
        assert_eq!(owner_of(20, &agents, &[at(21, 199.8)]), Some(21));
        // No agent started before it: nobody's.
        assert_eq!(owner_of(10, &agents, &[at(5, 50.0)]), None);
        assert_eq!(owner_of(10, &[], &vms), None);
    }
}

//! Pinning a core's thread to one CPU: `sched_setaffinity` on Linux, a documented
//! no-op elsewhere (macOS has no binding API; FreeBSD's `cpuset` is not wired up).

use std::io;

/// Pins the calling thread to the `core`-th CPU this process may run on (modulo
/// their number), and returns that CPU's number.
#[cfg(target_os = "linux")]
pub(crate) fn pin_current_thread(core: usize) -> io::Result<Option<usize>> {
    use std::mem;

    // SAFETY: `cpu_set_t` is a plain bit array, valid when zeroed.
    let mut allowed: libc::cpu_set_t = unsafe { mem::zeroed() };
    // SAFETY: `allowed` is a live cpu_set_t of the size passed; 0 names this thread.
    if unsafe { libc::sched_getaffinity(0, mem::size_of::<libc::cpu_set_t>(), &mut allowed) } != 0 {
        return Err(with_context("sched_getaffinity", io::Error::last_os_error()));
    }
    let cpus: Vec<usize> =
        // SAFETY: CPU_ISSET reads bit `cpu` of a live set; `cpu` < CPU_SETSIZE.
        (0..libc::CPU_SETSIZE as usize).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &allowed) }).collect();
    let Some(&cpu) = cpus.get(core % cpus.len().max(1)) else {
        return Ok(None); // an empty set cannot be: the thread runs somewhere
    };
    // SAFETY: as above, a zeroed set is valid.
    let mut one: libc::cpu_set_t = unsafe { mem::zeroed() };
    // SAFETY: CPU_SET writes bit `cpu` < CPU_SETSIZE of a live set.
    unsafe { libc::CPU_SET(cpu, &mut one) };
    // SAFETY: `one` is a live cpu_set_t of the size passed, only read.
    if unsafe { libc::sched_setaffinity(0, mem::size_of::<libc::cpu_set_t>(), &one) } != 0 {
        return Err(with_context(&format!("sched_setaffinity to CPU {cpu}"), io::Error::last_os_error()));
    }
    Ok(Some(cpu))
}

#[cfg(target_os = "linux")]
fn with_context(what: &str, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{what}: {err}"))
}

/// Not Linux: threads are left where the OS puts them.
#[cfg(not(target_os = "linux"))]
pub(crate) fn pin_current_thread(_core: usize) -> io::Result<Option<usize>> {
    Ok(None)
}

//! The CPU and memory a container may use, and the worker count they allow.
//!
//! CPUs: cgroup v2 `cpu.max` (`<quota> <period>`, or `max`), else cgroup v1
//! `cpu.cfs_quota_us`/`cpu.cfs_period_us` (`-1` = no quota), rounded up; else the CPUs this
//! process may run on. Memory: cgroup v2 `memory.max`, else cgroup v1
//! `memory.limit_in_bytes` (values near `i64::MAX` mean no limit); else the host's `MemTotal`.
//!
//! Workers: `min(2 × CPUs + 1, memory / 256 MiB)`, at least 1 and at most 32. Two per CPU plus
//! one is gunicorn's own advice; 256 MiB is what a typical Django or FastAPI worker needs with
//! headroom, so a 512 MiB container gets 2 workers and a 1 GiB one 4, whatever the host has.

use std::path::Path;

const MIB: u64 = 1024 * 1024;
/// Memory budgeted per worker.
const MEMORY_PER_WORKER: u64 = 256 * MIB;
const MIN_WORKERS: u64 = 1;
const MAX_WORKERS: u64 = 32;
/// cgroup v1 reports "no limit" as a page-aligned `i64::MAX`; anything this big is no limit.
const NO_LIMIT_ABOVE: u64 = 1 << 60;

/// What the container may use; `None` when nothing limits it and the host could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) cpus: u64,
    pub(crate) memory_bytes: Option<u64>,
}

impl Limits {
    /// Reads the limits of the process's cgroup and the host. The cgroup is the mount's root
    /// inside a container with its own cgroup namespace (Docker's default on cgroup v2), else
    /// the cgroup v2 path that `/proc/self/cgroup` names.
    pub(crate) fn read() -> Self {
        let host_cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
        let host_memory = read(Path::new("/proc/meminfo")).and_then(|text| mem_total(&text));
        let mount = Path::new("/sys/fs/cgroup");
        let root = read(Path::new("/proc/self/cgroup"))
            .and_then(|text| cgroup_v2_path(&text))
            .map(|path| mount.join(path.trim_start_matches('/')))
            .filter(|dir| dir.join("cpu.max").is_file() || dir.join("memory.max").is_file())
            .unwrap_or_else(|| mount.to_path_buf());
        Self::from_cgroup_root(&root, host_cpus, host_memory)
    }

    /// The limits under `root` (cgroup v2 files at its top, or v1 controllers in subfolders),
    /// falling back to the host's figures.
    pub(crate) fn from_cgroup_root(root: &Path, host_cpus: u64, host_memory: Option<u64>) -> Self {
        let cpu_quota = read(&root.join("cpu.max"))
            .map(|text| cpu_max(&text))
            .or_else(|| {
                ["cpu", "cpu,cpuacct"].iter().find_map(|controller| {
                    let dir = root.join(controller);
                    let quota = read(&dir.join("cpu.cfs_quota_us"))?;
                    let period = read(&dir.join("cpu.cfs_period_us"))?;
                    Some(cfs_quota(&quota, &period))
                })
            })
            .flatten();
        let memory_limit = read(&root.join("memory.max"))
            .map(|text| memory_max(&text))
            .or_else(|| {
                read(&root.join("memory/memory.limit_in_bytes")).map(|text| memory_max(&text))
            })
            .flatten();
        Self {
            // A quota above the host's CPUs cannot be used.
            cpus: cpu_quota.map_or(host_cpus, |quota| quota.min(host_cpus.max(1))),
            memory_bytes: match (memory_limit, host_memory) {
                (Some(limit), Some(host)) => Some(limit.min(host)),
                (limit, host) => limit.or(host),
            },
        }
    }
}

/// The worker count for `limits` (see the module docs).
pub(crate) fn web_concurrency(limits: &Limits) -> u64 {
    let by_cpu = 2 * limits.cpus.max(1) + 1;
    let by_memory = limits
        .memory_bytes
        .map_or(u64::MAX, |bytes| bytes / MEMORY_PER_WORKER);
    by_cpu.min(by_memory).clamp(MIN_WORKERS, MAX_WORKERS)
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// The process's cgroup v2 path: the `0::/path` line of `/proc/self/cgroup`.
fn cgroup_v2_path(proc_self_cgroup: &str) -> Option<String> {
    proc_self_cgroup
        .lines()
        .find_map(|line| line.strip_prefix("0::"))
        .map(str::to_string)
}

/// cgroup v2 `cpu.max`: `max 100000` (no quota) or `150000 100000` (1.5 CPUs, rounded up to 2).
fn cpu_max(text: &str) -> Option<u64> {
    let mut fields = text.split_whitespace();
    let quota = fields.next()?.parse::<u64>().ok()?;
    let period = fields
        .next()
        .map_or(Some(100_000), |p| p.parse::<u64>().ok())?;
    cpus_for(quota, period)
}

/// cgroup v1 `cpu.cfs_quota_us` (`-1` = no quota) and `cpu.cfs_period_us`.
fn cfs_quota(quota: &str, period: &str) -> Option<u64> {
    let quota = quota.trim().parse::<i64>().ok()?;
    let period = period.trim().parse::<u64>().ok()?;
    cpus_for(u64::try_from(quota).ok()?, period)
}

fn cpus_for(quota: u64, period: u64) -> Option<u64> {
    (quota > 0 && period > 0).then(|| quota.div_ceil(period))
}

/// cgroup v2 `memory.max` (`max` = no limit) or v1 `memory.limit_in_bytes`.
fn memory_max(text: &str) -> Option<u64> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|&bytes| bytes > 0 && bytes < NO_LIMIT_ABOVE)
}

/// `MemTotal:  16384256 kB` from `/proc/meminfo`.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kib = line.split_whitespace().nth(1)?.parse::<u64>().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1024 * MIB;

    fn cgroup(files: &[(&str, &str)]) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        for (path, contents) in files {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, contents).unwrap();
        }
        root
    }

    fn limits(files: &[(&str, &str)], host_cpus: u64, host_memory: Option<u64>) -> Limits {
        Limits::from_cgroup_root(cgroup(files).path(), host_cpus, host_memory)
    }

    #[test]
    fn cgroup_v2_quota_and_memory_limit() {
        let found = limits(
            &[
                ("cpu.max", "150000 100000\n"),
                ("memory.max", "536870912\n"),
            ],
            16,
            Some(64 * GIB),
        );
        assert_eq!(
            found,
            Limits {
                cpus: 2,
                memory_bytes: Some(512 * MIB)
            }
        );
        // 512 MiB: 2 workers, although 2 CPUs would allow 5.
        assert_eq!(web_concurrency(&found), 2);
    }

    #[test]
    fn cgroup_v2_without_limits_uses_the_host() {
        let found = limits(
            &[("cpu.max", "max 100000\n"), ("memory.max", "max\n")],
            4,
            Some(8 * GIB),
        );
        assert_eq!(
            found,
            Limits {
                cpus: 4,
                memory_bytes: Some(8 * GIB)
            }
        );
        assert_eq!(web_concurrency(&found), 9);
    }

    #[test]
    fn cgroup_v1_quota_and_memory_limit() {
        let found = limits(
            &[
                ("cpu,cpuacct/cpu.cfs_quota_us", "100000\n"),
                ("cpu,cpuacct/cpu.cfs_period_us", "100000\n"),
                ("memory/memory.limit_in_bytes", "1073741824\n"),
            ],
            8,
            Some(32 * GIB),
        );
        assert_eq!(
            found,
            Limits {
                cpus: 1,
                memory_bytes: Some(GIB)
            }
        );
        // 1 CPU allows 3; 1 GiB would allow 4.
        assert_eq!(web_concurrency(&found), 3);
    }

    #[test]
    fn cgroup_v1_without_limits_uses_the_host() {
        let found = limits(
            &[
                ("cpu/cpu.cfs_quota_us", "-1\n"),
                ("cpu/cpu.cfs_period_us", "100000\n"),
                ("memory/memory.limit_in_bytes", "9223372036854771712\n"),
            ],
            2,
            Some(2 * GIB),
        );
        assert_eq!(
            found,
            Limits {
                cpus: 2,
                memory_bytes: Some(2 * GIB)
            }
        );
        assert_eq!(web_concurrency(&found), 5);
    }

    #[test]
    fn no_cgroup_files_use_the_host() {
        assert_eq!(
            limits(&[], 3, None),
            Limits {
                cpus: 3,
                memory_bytes: None
            }
        );
    }

    #[test]
    fn a_quota_above_the_host_cpus_is_capped() {
        let found = limits(&[("cpu.max", "800000 100000")], 2, None);
        assert_eq!(found.cpus, 2);
    }

    #[test]
    fn bounds() {
        let tiny = Limits {
            cpus: 1,
            memory_bytes: Some(128 * MIB),
        };
        assert_eq!(web_concurrency(&tiny), 1);
        let huge = Limits {
            cpus: 64,
            memory_bytes: None,
        };
        assert_eq!(web_concurrency(&huge), 32);
    }

    #[test]
    fn the_cgroup_v2_path_of_the_process() {
        assert_eq!(
            cgroup_v2_path("0::/system.slice/docker-abc.scope\n").as_deref(),
            Some("/system.slice/docker-abc.scope")
        );
        assert_eq!(cgroup_v2_path("0::/\n").as_deref(), Some("/"));
        // cgroup v1 lines only.
        assert_eq!(
            cgroup_v2_path("4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n"),
            None
        );
    }

    #[test]
    fn meminfo() {
        assert_eq!(
            mem_total("MemFree: 1 kB\nMemTotal:       16384256 kB\n"),
            Some(16_384_256 * 1024)
        );
        assert_eq!(mem_total("nothing"), None);
    }
}

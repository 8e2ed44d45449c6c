//! The PostgreSQL engine, each test on a private cluster it starts (`initdb` in a temporary
//! folder, a Unix socket there, no TCP) and stops: the CLI's reports equal sled's, `copy` between
//! engines keeps every byte, several processes append to one ledger, ledgers in one database stay
//! apart, damage is found, a database killed mid-load keeps every acknowledged event, and a
//! synchronous standby promoted after the primary's hard stop has every acknowledged event.
//!
//! Without PostgreSQL's programs these tests fail (CI installs them: scripts/install-postgres.sh).

mod accounts;
mod cache;
mod engine;
mod shared;
mod standby;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A PostgreSQL cluster of one test: data and socket in a temporary folder.
pub(crate) struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

/// Where PostgreSQL's programs are: `pg_config --bindir`, else Debian's newest
/// /usr/lib/postgresql/*/bin.
pub(crate) fn pg_bindir() -> PathBuf {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && dir.join("initdb").exists() {
            return dir;
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").exists())
        .collect();
    found.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop().unwrap_or_else(|| {
        panic!("PostgreSQL's programs (initdb, pg_ctl) are not installed: run scripts/install-postgres.sh (Debian's postgresql)")
    })
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .map(|u| u.split_whitespace().next() == Some("0"))
        })
        .unwrap_or(false)
}

/// A command of PostgreSQL's, run as the user `postgres` when this is root (initdb refuses root).
fn as_pg(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut c: Command, what: &str) {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Cluster {
    pub(crate) fn start() -> Cluster {
        Cluster::start_with(&[])
    }

    /// A cluster with extra `-c name=value` settings.
    pub(crate) fn start_with(settings: &[&str]) -> Cluster {
        let cluster = Cluster::folder();
        let mut init = as_pg(&cluster.bin.join("initdb"));
        init.arg("-D")
            .arg(cluster.data())
            .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
            .arg("--locale=C.UTF-8");
        run(init, "initdb");
        let mut conf = vec!["listen_addresses = ''", "max_connections = 200"];
        conf.extend_from_slice(settings);
        cluster.configure(&conf);
        cluster.start_again();
        cluster
    }

    /// A temporary folder for a cluster, owned by `postgres` when this is root.
    fn folder() -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("rambok-pg")
            .tempdir()
            .unwrap();
        if is_root() {
            let mut c = Command::new("chown");
            c.args(["-R", "postgres:"]).arg(dir.path());
            run(c, "chown");
        }
        Cluster {
            dir,
            bin: pg_bindir(),
            port: 5432,
        }
    }

    /// Appends settings to `postgresql.auto.conf` (a later line wins), with this cluster's own
    /// socket folder.
    fn configure(&self, settings: &[&str]) {
        let auto = self.data().join("postgresql.auto.conf");
        let mut text = std::fs::read_to_string(&auto).unwrap_or_default();
        text.push_str(&format!(
            "unix_socket_directories = '{}'\n",
            self.dir.path().display()
        ));
        for s in settings {
            text.push_str(s);
            text.push('\n');
        }
        std::fs::write(&auto, text).unwrap();
    }

    /// A streaming standby of `primary` in a folder of its own: a base backup taken with
    /// `pg_basebackup -R` (which writes `standby.signal` and `primary_conninfo`), connecting as
    /// `name`. It is asynchronous until the primary names it ([`Cluster::make_synchronous`]).
    pub(crate) fn standby_of(primary: &Cluster, name: &str) -> Cluster {
        let standby = Cluster::folder();
        let mut backup = as_pg(&standby.bin.join("pg_basebackup"));
        backup
            .arg("-D")
            .arg(standby.data())
            .args(["-R", "-X", "stream", "-c", "fast", "--no-sync", "-d"])
            .arg(format!(
                "host={} port={} user=postgres application_name={name}",
                primary.dir.path().display(),
                primary.port
            ));
        run(backup, "pg_basebackup");
        standby.configure(&[]);
        standby.start_again();
        standby
    }

    /// Names `standby` in `synchronous_standby_names`, so a commit returns only once the standby
    /// has flushed it, and waits (up to 20 s) until the primary reports it `sync`.
    pub(crate) fn make_synchronous(&self, standby: &str) {
        self.psql(&format!(
            "ALTER SYSTEM SET synchronous_standby_names = '{standby}'"
        ));
        self.psql("SELECT pg_reload_conf()");
        let query =
            "SELECT application_name || ' ' || sync_state || ' ' || state FROM pg_stat_replication";
        let wanted = format!("{standby} sync streaming");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let seen = self.psql(query);
            if seen == wanted {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the standby is not synchronous: pg_stat_replication says {seen:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Promotes a standby to a primary, waiting until it takes writes.
    pub(crate) fn promote(&self) {
        self.pg_ctl(&["-w", "promote"]);
        assert_eq!(self.psql("SELECT pg_is_in_recovery()"), "f");
    }

    pub(crate) fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The URL of ledger `name` in this cluster.
    pub(crate) fn url(&self, name: &str) -> PathBuf {
        PathBuf::from(format!(
            "postgres://postgres@/postgres?host={}&port={}&ledger={name}",
            self.dir.path().display(),
            self.port
        ))
    }

    pub(crate) fn pg_ctl(&self, args: &[&str]) {
        let mut c = as_pg(&self.bin.join("pg_ctl"));
        c.arg("-D").arg(self.data()).args(args);
        run(c, &format!("pg_ctl {args:?}"));
    }

    pub(crate) fn start_again(&self) {
        let log = self.dir.path().join("server.log");
        self.pg_ctl(&["-w", "-l", log.to_str().unwrap(), "start"]);
    }

    /// Stops the server the hard way: no checkpoint, as a power cut would.
    pub(crate) fn stop_hard(&self) {
        self.pg_ctl(&["-m", "immediate", "-w", "stop"]);
    }

    /// Runs SQL with psql, returning its output (unaligned, tuples only).
    pub(crate) fn psql(&self, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-h"])
            .arg(self.dir.path())
            .args(["-p", &self.port.to_string(), "-d", "postgres", "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let mut c = as_pg(&self.bin.join("pg_ctl"));
        c.arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"]);
        let _ = c.output();
    }
}

/// A PostgreSQL ledger opened in this process, as the CLI opens it.
pub(crate) fn open(url: &Path) -> rambok::ledger::Ledger<rambok::store::Engine> {
    let target = rambok::store::target::Target::parse(url).unwrap();
    rambok::ledger::Ledger::open_target(&target).unwrap()
}

/// The one cluster the suites that run on both engines share (`crate::engines`): started on first
/// use, once per run of the test binary, and stopped by a watchdog when the binary exits (statics
/// are never dropped). Every test takes a ledger of its own in it ([`fresh_url`]).
///
/// It runs without fsync: these suites kill rambok, never the database (the tests in `shared.rs`
/// and `engine.rs` that stop the database hard start their own durable clusters).
pub(crate) fn shared_cluster() -> &'static Cluster {
    static SHARED: std::sync::OnceLock<Cluster> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| {
        let cluster = Cluster::start_with(&[
            "max_connections = 500",
            "fsync = off",
            "full_page_writes = off",
            "shared_buffers = 64MB",
        ]);
        cluster.stop_when_this_process_ends();
        cluster
    })
}

/// The URL of a ledger nobody else in this run uses, in the shared cluster: `t_TAG_N`.
pub(crate) fn fresh_url(tag: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tag: String = tag
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect();
    shared_cluster().url(&format!("t_{tag}_{n}"))
}

impl Cluster {
    /// A watchdog shell that waits for this process to end, then stops the cluster and removes its
    /// folder: also after a panic, an abort or a kill. It outlives this process by design (init
    /// reaps it), so it is never waited for.
    #[allow(clippy::zombie_processes)]
    fn stop_when_this_process_ends(&self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let stop = if is_root() {
            format!("runuser -u postgres -- '{}'", pg_ctl.display())
        } else {
            format!("'{}'", pg_ctl.display())
        };
        let script = format!(
            "while kill -0 \"$0\" 2>/dev/null; do sleep 0.5; done; \
             {stop} -D '{}' -m immediate -w stop; rm -rf '{}'",
            self.data().display(),
            self.dir.path().display()
        );
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(std::process::id().to_string())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("sh runs the shared cluster's watchdog");
    }
}

//! The suites that run on both engines: a test written once, as a function that makes its ledgers
//! with [`fresh`], is emitted twice by [`on_both_engines!`], as `NAME::sled` and `NAME::pg`. On
//! PostgreSQL each test gets a ledger of its own (`?ledger=t_…`) in the one cluster the test
//! binary shares (`pg::shared_cluster`, started on first use), so a test there costs a few
//! connections, not an `initdb`.
//!
//! The engine a test runs on is a property of its thread (each test has one), so helpers deep in
//! a suite (`bad_input`'s `Ledger::with_base`, `corpus`'s template) ask [`current`] instead of
//! taking a parameter through every call.

use std::cell::Cell;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    Sled,
    Pg,
}

thread_local! {
    static CURRENT: Cell<Engine> = const { Cell::new(Engine::Sled) };
}

/// The engine the test on this thread runs on (sled unless it was emitted as `…::pg`).
pub(crate) fn current() -> Engine {
    CURRENT.with(Cell::get)
}

/// Runs `test` with `engine` as this thread's engine.
pub(crate) fn run_on(engine: Engine, test: impl FnOnce()) {
    CURRENT.with(|c| c.set(engine));
    test();
}

/// A ledger of one test: a folder in a temporary folder, or a PostgreSQL URL. `dir` is a
/// temporary folder either way, for the test's other files.
pub(crate) struct Db {
    pub(crate) dir: tempfile::TempDir,
    /// What `--db` takes.
    pub(crate) path: PathBuf,
}

/// A place for a new ledger on the current engine (nothing made yet on sled; on PostgreSQL a
/// ledger name nobody used, which still needs `init` or [`open`], which makes it).
pub(crate) fn fresh(tag: &str) -> Db {
    fresh_on(current(), tag)
}

pub(crate) fn fresh_on(engine: Engine, tag: &str) -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = match engine {
        Engine::Sled => dir.path().join("ledger"),
        Engine::Pg => crate::pg::fresh_url(tag),
    };
    Db { dir, path }
}

/// Opens (and on PostgreSQL first makes, as `rambok init` does) the ledger at `db`.
pub(crate) fn open(db: &Path) -> rambok::ledger::Ledger<rambok::store::Engine> {
    let target = rambok::store::target::Target::parse(db).unwrap();
    if let rambok::store::target::Target::Postgres(url) = &target {
        drop(
            rambok::store::pg::PgStore::create(url).unwrap_or_else(|e| panic!("init {db:?}: {e}")),
        );
    }
    rambok::ledger::Ledger::open_target(&target).unwrap_or_else(|e| panic!("open {db:?}: {e}"))
}

/// Emits each test function twice, as `NAME::sled` and `NAME::pg` (the function itself stays,
/// untested, under its name: a function and a module of one name can stand side by side). The
/// function makes its ledgers with [`fresh`] (or asks [`current`]).
macro_rules! on_both_engines {
    ($($(#[$meta:meta])* fn $name:ident() $body:block)*) => {$(
        $(#[$meta])*
        fn $name() $body

        mod $name {
            #[test]
            fn sled() {
                $crate::engines::run_on($crate::engines::Engine::Sled, super::$name);
            }
            #[test]
            fn pg() {
                $crate::engines::run_on($crate::engines::Engine::Pg, super::$name);
            }
        }
    )*};
}
pub(crate) use on_both_engines;

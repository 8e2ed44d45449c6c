//! Where API tokens, accounts and the access log are kept: three small key-value trees beside a
//! ledger, with transactions over all three, on the ledger's own engine. On sled they are trees of
//! the ledger's store (sled's multi-tree transactions); on PostgreSQL rows of `rambok_accounts`
//! keyed by the ledger's name (`pg::accounts`, one SQL transaction). The logic that reads and
//! writes them (`server::tokens`, `server::users`, `server::access`) is written once against
//! [`Tx`]; the bytes stored are the same on both engines.
//!
//! A transaction is a closure that may run more than once (sled retries it on a conflict,
//! PostgreSQL on a serialisation failure or deadlock), so it must do nothing but read and write
//! through its [`Tx`].

use super::pg::accounts::PgAccounts;
use super::sled_store::SledStore;
use super::{Engine, StoreError};
use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};
use sled::Transactional;
use std::sync::Arc;

/// The three trees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tree {
    /// API tokens, under their names (JSON).
    Tokens,
    /// Accounts, under their names (JSON).
    Users,
    /// The access log: entries under `e` + number, its head under `h`.
    Access,
}

impl Tree {
    /// The tree's name: sled's tree, and the `tree` column on PostgreSQL.
    pub const fn name(self) -> &'static str {
        match self {
            Tree::Tokens => "api_tokens",
            Tree::Users => "users",
            Tree::Access => "api_access",
        }
    }
}

/// A key and its value, as a tree holds them.
pub type Pair = (Vec<u8>, Vec<u8>);

/// Why a read or write inside a transaction did not happen.
#[derive(Debug)]
pub enum Failed {
    /// The transaction met another and runs again from the start.
    Retry,
    Store(StoreError),
}

/// How a transaction's closure ends other than with a value: its own error (nothing is written),
/// or a failure of the store.
#[derive(Debug)]
pub enum TxError<E> {
    Abort(E),
    Failed(Failed),
}

impl<E> From<Failed> for TxError<E> {
    fn from(f: Failed) -> TxError<E> {
        TxError::Failed(f)
    }
}

impl<E> TxError<E> {
    /// A store's error, ending the transaction (its message names the damage).
    pub fn store(e: StoreError) -> TxError<E> {
        TxError::Failed(Failed::Store(e))
    }
}

/// Reads and writes inside one transaction over the three trees.
pub trait Tx {
    fn get(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, Failed>;
    fn insert(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), Failed>;
    /// Removes the key; what it held, if anything.
    fn remove(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, Failed>;
}

/// The trees of one ledger, on its engine; cheap to clone.
#[derive(Clone)]
pub enum Accounts {
    Sled(SledAccounts),
    Postgres(Arc<PgAccounts>),
}

/// The three sled trees.
#[derive(Clone)]
pub struct SledAccounts {
    tokens: sled::Tree,
    users: sled::Tree,
    access: sled::Tree,
}

fn sled_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Io(e.to_string())
}

impl Accounts {
    /// The trees of the ledger `engine` holds.
    pub fn of(engine: &Engine) -> Result<Accounts, StoreError> {
        match engine {
            Engine::Sled(s) => Accounts::sled(s),
            Engine::Postgres(p) => Ok(Accounts::Postgres(Arc::new(p.accounts()?))),
        }
    }

    /// The trees kept in a sled store (a ledger's, or a folder of their own).
    pub fn sled(store: &SledStore) -> Result<Accounts, StoreError> {
        Ok(Accounts::Sled(SledAccounts {
            tokens: store.tree(Tree::Tokens.name())?,
            users: store.tree(Tree::Users.name())?,
            access: store.tree(Tree::Access.name())?,
        }))
    }

    /// Whether other processes may change the trees while this one runs (PostgreSQL).
    pub fn shared(&self) -> bool {
        matches!(self, Accounts::Postgres(_))
    }

    /// Runs `f` as one transaction over the three trees: everything it wrote, or nothing. It may
    /// run more than once.
    pub fn transact<T, E: From<StoreError>>(
        &self,
        f: impl Fn(&mut dyn Tx) -> Result<T, TxError<E>>,
    ) -> Result<T, E> {
        match self {
            Accounts::Sled(s) => s.transact(f),
            Accounts::Postgres(p) => p.transact(&f),
        }
    }

    /// One key's value, read on its own.
    pub fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            Accounts::Sled(s) => (s.tree(tree).get(key))
                .map(|v| v.map(|v| v.to_vec()))
                .map_err(sled_err),
            Accounts::Postgres(p) => p.get(tree, key),
        }
    }

    /// Every key and value of a tree, in key order (on PostgreSQL, as one statement saw them).
    pub fn scan(&self, tree: Tree) -> Result<Vec<Pair>, StoreError> {
        match self {
            Accounts::Sled(s) => (s.tree(tree).iter())
                .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())))
                .collect::<Result<_, _>>()
                .map_err(sled_err),
            Accounts::Postgres(p) => p.scan(tree),
        }
    }
}

impl SledAccounts {
    fn tree(&self, tree: Tree) -> &sled::Tree {
        match tree {
            Tree::Tokens => &self.tokens,
            Tree::Users => &self.users,
            Tree::Access => &self.access,
        }
    }

    fn transact<T, E: From<StoreError>>(
        &self,
        f: impl Fn(&mut dyn Tx) -> Result<T, TxError<E>>,
    ) -> Result<T, E> {
        let r = (&self.tokens, &self.users, &self.access).transaction(|(tokens, users, access)| {
            let mut tx = SledTx {
                tokens,
                users,
                access,
            };
            f(&mut tx).map_err(|e| match e {
                TxError::Abort(e) => ConflictableTransactionError::Abort(Err(e)),
                TxError::Failed(Failed::Retry) => ConflictableTransactionError::Conflict,
                TxError::Failed(Failed::Store(s)) => ConflictableTransactionError::Abort(Ok(s)),
            })
        });
        let done = r.map_err(|e| match e {
            TransactionError::Abort(Err(e)) => e,
            TransactionError::Abort(Ok(s)) => E::from(s),
            TransactionError::Storage(e) => E::from(sled_err(e)),
        })?;
        // One flush covers the three trees: they share sled's log.
        self.tokens.flush().map_err(|e| E::from(sled_err(e)))?;
        Ok(done)
    }
}

struct SledTx<'a> {
    tokens: &'a TransactionalTree,
    users: &'a TransactionalTree,
    access: &'a TransactionalTree,
}

fn sled_failed(e: UnabortableTransactionError) -> Failed {
    match e {
        UnabortableTransactionError::Conflict => Failed::Retry,
        UnabortableTransactionError::Storage(e) => Failed::Store(sled_err(e)),
    }
}

impl SledTx<'_> {
    fn tree(&self, tree: Tree) -> &TransactionalTree {
        match tree {
            Tree::Tokens => self.tokens,
            Tree::Users => self.users,
            Tree::Access => self.access,
        }
    }
}

impl Tx for SledTx<'_> {
    fn get(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, Failed> {
        (self.tree(tree).get(key))
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(sled_failed)
    }

    fn insert(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), Failed> {
        (self.tree(tree).insert(key, value))
            .map(drop)
            .map_err(sled_failed)
    }

    fn remove(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, Failed> {
        (self.tree(tree).remove(key))
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(sled_failed)
    }
}

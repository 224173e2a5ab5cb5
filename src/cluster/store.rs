//! The key-value bucket behind a fleet: connect to NATS, open or create the bucket, and typed
//! reads and compare-and-set writes, each bounded by a timeout.

use std::time::Duration;

use async_nats::jetstream::kv::{self, CreateErrorKind, Operation, UpdateErrorKind};
use async_nats::jetstream::stream;
use bytes::Bytes;
use futures_util::TryStreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why the bucket could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// NATS did not answer in time.
    #[error("NATS did not answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// No connection to NATS.
    #[error("cannot connect to NATS at {url}: {message}")]
    Connect {
        /// The server URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The server refused or failed an operation.
    #[error("{0}")]
    Nats(String),
}

/// The outcome of a compare-and-set write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cas {
    /// Written: the new revision.
    Written(u64),
    /// The key changed (or appeared) since the expected revision: someone else wrote it.
    Conflict,
}

/// One key's latest value as read.
#[derive(Debug, Clone)]
pub struct Read<T> {
    /// The revision (for a compare-and-set update).
    pub revision: u64,
    /// The decoded value; `None` when it does not parse (another program wrote it).
    pub value: Option<T>,
}

/// Connect to a NATS server (`nats://host:port`); fails within `timeout` when it is unreachable.
pub async fn connect(url: &str, timeout: Duration) -> Result<async_nats::Client, StoreError> {
    let options = async_nats::ConnectOptions::new()
        .name("qqbot")
        .connection_timeout(timeout)
        // Reconnect quickly after an outage (leases are judged in seconds).
        .reconnect_delay_callback(|attempts| {
            Duration::from_millis(50u64.saturating_mul(1 << attempts.min(5)))
                .min(Duration::from_secs(1))
        });
    match tokio::time::timeout(timeout + Duration::from_secs(1), options.connect(url)).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(StoreError::Connect {
            url: url.to_owned(),
            message: e.to_string(),
        }),
        Err(_) => Err(StoreError::Connect {
            url: url.to_owned(),
            message: format!("no connection within {} ms", timeout.as_millis()),
        }),
    }
}

/// The bucket, with a bound on every operation.
#[derive(Clone)]
pub struct Bucket {
    kv: kv::Store,
    name: String,
    timeout: Duration,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket").field("name", &self.name).finish()
    }
}

impl Bucket {
    /// Open `name`, creating it (history 1, `max_age`) when it does not exist.
    pub async fn open(
        client: async_nats::Client,
        name: &str,
        max_age: Duration,
        timeout: Duration,
    ) -> Result<Bucket, StoreError> {
        let js = async_nats::jetstream::new(client);
        let bound = |d| StoreError::Timeout(d);
        let existing = tokio::time::timeout(timeout, js.get_key_value(name))
            .await
            .map_err(|_| bound(timeout))?;
        let kv = match existing {
            Ok(kv) => kv,
            Err(_) => {
                // The stream a key-value bucket is, created directly: `create_key_value` first
                // reads the account info, which a 2.9 server sends without fields the client
                // requires.
                let config = stream::Config {
                    name: format!("KV_{name}"),
                    description: Some("qqbot shard leases".to_owned()),
                    subjects: vec![format!("$KV.{name}.>")],
                    max_messages_per_subject: 1,
                    max_age,
                    allow_rollup: true,
                    deny_delete: true,
                    allow_direct: true,
                    num_replicas: 1,
                    discard: stream::DiscardPolicy::New,
                    ..Default::default()
                };
                let created = tokio::time::timeout(timeout, js.create_stream(config))
                    .await
                    .map_err(|_| bound(timeout))?;
                // Open it as a bucket (also when another process created it meanwhile).
                let opened = tokio::time::timeout(timeout, js.get_key_value(name))
                    .await
                    .map_err(|_| bound(timeout))?;
                match (created, opened) {
                    (_, Ok(kv)) => kv,
                    (Err(create), Err(_)) => {
                        return Err(StoreError::Nats(format!(
                            "cannot create the key-value bucket {name} (is JetStream enabled? start nats-server with -js): {create}"
                        )));
                    }
                    (Ok(_), Err(open)) => {
                        return Err(StoreError::Nats(format!(
                            "cannot open the key-value bucket {name}: {open}"
                        )));
                    }
                }
            }
        };
        Ok(Bucket {
            kv,
            name: name.to_owned(),
            timeout,
        })
    }

    /// Open an existing bucket only (for `cluster status`).
    pub async fn existing(
        client: async_nats::Client,
        name: &str,
        timeout: Duration,
    ) -> Result<Option<Bucket>, StoreError> {
        let js = async_nats::jetstream::new(client);
        match tokio::time::timeout(timeout, js.get_key_value(name))
            .await
            .map_err(|_| StoreError::Timeout(timeout))?
        {
            Ok(kv) => Ok(Some(Bucket {
                kv,
                name: name.to_owned(),
                timeout,
            })),
            Err(e) if e.kind() == async_nats::jetstream::context::KeyValueErrorKind::GetBucket => {
                Ok(None)
            }
            Err(e) => Err(StoreError::Nats(e.to_string())),
        }
    }

    /// The bucket name.
    pub fn name(&self) -> &str {
        &self.name
    }

    async fn bounded<T, E: std::fmt::Display>(
        &self,
        op: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, op).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(StoreError::Nats(e.to_string())),
            Err(_) => Err(StoreError::Timeout(self.timeout)),
        }
    }

    /// The latest value of `key`; `None` when absent or deleted.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<Read<T>>, StoreError> {
        let entry = self.bounded(self.kv.entry(key)).await?;
        Ok(entry.and_then(|e| match e.operation {
            Operation::Put => Some(Read {
                revision: e.revision,
                value: serde_json::from_slice(&e.value).ok(),
            }),
            Operation::Delete | Operation::Purge => None,
        }))
    }

    /// Every key in the bucket.
    pub async fn keys(&self) -> Result<Vec<String>, StoreError> {
        let keys = self.bounded(self.kv.keys()).await?;
        self.bounded(keys.try_collect::<Vec<String>>()).await
    }

    /// Write `value` if `key` is still at `revision` (`None`: if it does not exist).
    pub async fn cas<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        revision: Option<u64>,
    ) -> Result<Cas, StoreError> {
        let body = Bytes::from(serde_json::to_vec(value).expect("values serialise"));
        match revision {
            None => match tokio::time::timeout(self.timeout, self.kv.create(key, body)).await {
                Ok(Ok(revision)) => Ok(Cas::Written(revision)),
                Ok(Err(e)) if e.kind() == CreateErrorKind::AlreadyExists => Ok(Cas::Conflict),
                Ok(Err(e)) => Err(StoreError::Nats(e.to_string())),
                Err(_) => Err(StoreError::Timeout(self.timeout)),
            },
            Some(expected) => {
                match tokio::time::timeout(self.timeout, self.kv.update(key, body, expected)).await
                {
                    Ok(Ok(revision)) => Ok(Cas::Written(revision)),
                    Ok(Err(e)) if e.kind() == UpdateErrorKind::WrongLastRevision => {
                        Ok(Cas::Conflict)
                    }
                    Ok(Err(e)) => Err(StoreError::Nats(e.to_string())),
                    Err(_) => Err(StoreError::Timeout(self.timeout)),
                }
            }
        }
    }

    /// Write `value` unconditionally.
    pub async fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<u64, StoreError> {
        let body = Bytes::from(serde_json::to_vec(value).expect("values serialise"));
        self.bounded(self.kv.put(key, body)).await
    }

    /// Delete `key` (a delete marker).
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.bounded(self.kv.delete(key)).await
    }
}

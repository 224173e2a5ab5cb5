//! The receiving end of a cluster: [`Items`].
//!
//! A shard hands its items over a burst at a time (one channel operation and at most one
//! wake-up of the receiving thread per burst, not per event); [`Items`] yields them one by one,
//! in order. It also finishes the shard's work: the shard's thread reads only the envelope of
//! each dispatch, and the check that its `d` is valid JSON is made here, on the receiving
//! thread, so that the two threads share the work of a flood.

use std::sync::Arc;

use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{Semaphore, TryAcquireError, mpsc};

use crate::gateway::item::{Dispatch, GatewayItem, ItemKind};
use crate::protocol::{Envelope, EventNames, Peeked, fastpeek};

/// The most items a shard hands over in one piece.
pub(crate) const BATCH: usize = 64;

/// The receiver is gone (closed or dropped): nobody is left to hand anything to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gone;

/// A shard's end of the channel. Items go over in batches; room is counted in items (a
/// semaphore of `capacity` permits, returned by [`Items`] as it takes each batch), so at most
/// `capacity` items wait in the channel, however they are batched and however many shards
/// share it.
#[derive(Debug, Clone)]
pub(crate) struct Handoff {
    tx: mpsc::UnboundedSender<Vec<GatewayItem>>,
    room: Arc<Semaphore>,
}

impl Handoff {
    /// Hand over the oldest of `pending`, as many as there is room for (at most [`BATCH`]).
    /// Returns how many (0: no room), counting the dispatches among them in `dispatches`.
    pub(crate) fn try_send(
        &self,
        pending: &mut Vec<GatewayItem>,
        dispatches: &mut u64,
    ) -> Result<usize, Gone> {
        let n = pending.len().min(self.room.available_permits()).min(BATCH);
        if n == 0 {
            return if self.room.is_closed() {
                Err(Gone)
            } else {
                Ok(0)
            };
        }
        match self.room.try_acquire_many(n as u32) {
            Ok(permits) => permits.forget(),
            Err(TryAcquireError::NoPermits) => return Ok(0), // another shard took the room
            Err(TryAcquireError::Closed) => return Err(Gone),
        }
        let batch = if n == pending.len() {
            std::mem::replace(pending, Vec::with_capacity(BATCH))
        } else {
            let rest = pending.split_off(n);
            std::mem::replace(pending, rest)
        };
        *dispatches += batch
            .iter()
            .filter(|item| matches!(item.kind, ItemKind::Dispatch(_)))
            .count() as u64;
        self.tx.send(batch).map_err(|_| Gone)?;
        Ok(n)
    }

    /// Wait until there is room for at least one item (or the receiver is gone).
    pub(crate) async fn room(&self) -> Result<(), Gone> {
        self.room.acquire().await.map(drop).map_err(|_| Gone)
    }
}

/// A channel for `capacity` items (at least 1) from any number of shards.
pub(crate) fn channel(capacity: usize) -> (Handoff, Items) {
    let (tx, rx) = mpsc::unbounded_channel();
    let room = Arc::new(Semaphore::new(capacity.clamp(1, Semaphore::MAX_PERMITS)));
    let items = Items {
        source: Source::Batches {
            rx,
            room: Arc::clone(&room),
        },
        batch: Vec::new().into_iter(),
    };
    (Handoff { tx, room }, items)
}

/// Items from every shard of a [`Cluster`](super::Cluster), in order per shard (or from any
/// other source turned into one with `Items::from`).
///
/// It has the methods of a tokio `mpsc::Receiver`: [`recv`](Self::recv) (cancel-safe),
/// [`try_recv`](Self::try_recv), [`blocking_recv`](Self::blocking_recv) and
/// [`close`](Self::close). It is bounded: while it is full, shards stop reading their sockets
/// (TCP pushes back on the gateway) and keep heartbeating; nothing is dropped.
#[derive(Debug)]
pub struct Items {
    source: Source,
    /// What is left of the last batch received.
    batch: std::vec::IntoIter<GatewayItem>,
}

#[derive(Debug)]
enum Source {
    /// From shards: batches, with the room they took.
    Batches {
        rx: mpsc::UnboundedReceiver<Vec<GatewayItem>>,
        room: Arc<Semaphore>,
    },
    Single(mpsc::Receiver<GatewayItem>),
}

impl Items {
    /// The next item; `None` once every sender is gone and everything was received.
    /// Cancel-safe: an item is never lost when the future is dropped.
    pub async fn recv(&mut self) -> Option<GatewayItem> {
        loop {
            if let Some(item) = self.batch.next() {
                return Some(checked(item));
            }
            match &mut self.source {
                Source::Batches { rx, room } => self.batch = taken(room, rx.recv().await?),
                Source::Single(rx) => return rx.recv().await.map(checked),
            }
        }
    }

    /// The next item if one is ready.
    pub fn try_recv(&mut self) -> Result<GatewayItem, TryRecvError> {
        loop {
            if let Some(item) = self.batch.next() {
                return Ok(checked(item));
            }
            match &mut self.source {
                Source::Batches { rx, room } => self.batch = taken(room, rx.try_recv()?),
                Source::Single(rx) => return rx.try_recv().map(checked),
            }
        }
    }

    /// The next item, blocking the current thread (not from inside a runtime).
    pub fn blocking_recv(&mut self) -> Option<GatewayItem> {
        loop {
            if let Some(item) = self.batch.next() {
                return Some(checked(item));
            }
            match &mut self.source {
                Source::Batches { rx, room } => self.batch = taken(room, rx.blocking_recv()?),
                Source::Single(rx) => return rx.blocking_recv().map(checked),
            }
        }
    }

    /// Stop accepting items; what was already sent can still be received.
    pub fn close(&mut self) {
        match &mut self.source {
            Source::Batches { rx, room } => {
                rx.close();
                room.close(); // a shard waiting for room stops waiting
            }
            Source::Single(rx) => rx.close(),
        }
    }
}

impl Drop for Items {
    fn drop(&mut self) {
        if let Source::Batches { room, .. } = &self.source {
            room.close();
        }
    }
}

/// A batch just taken from the channel: its room goes back to the shards.
fn taken(room: &Semaphore, batch: Vec<GatewayItem>) -> std::vec::IntoIter<GatewayItem> {
    room.add_permits(batch.len());
    batch.into_iter()
}

/// `item`, with the check its shard left (see [`ShardCore::defer_checks`]) made: a dispatch
/// whose `d` is valid JSON as located is passed on as it is; any other is read again by the
/// reference peek, which either finds the dispatch (a frame with keys after `d`) or says why the
/// frame is malformed, as the shard would have.
///
/// [`ShardCore::defer_checks`]: crate::gateway::ShardCore
fn checked(mut item: GatewayItem) -> GatewayItem {
    let ItemKind::Dispatch(dispatch) = &mut item.kind else {
        return item;
    };
    if !dispatch.deferred {
        return item;
    }
    dispatch.deferred = false;
    if fastpeek::check_deferred(&dispatch.frame, &dispatch.d_range) {
        return item;
    }
    let frame = Arc::clone(&dispatch.frame);
    let t = Arc::clone(&dispatch.t);
    item.kind = match Peeked::of(&frame, &mut EventNames::default()) {
        Some(peeked) if peeked.op == 0 => {
            ItemKind::Dispatch(Dispatch::from_peeked(peeked, || t, frame))
        }
        _ => ItemKind::Error {
            message: Envelope::peek(&frame)
                .err()
                .map_or_else(|| "malformed dispatch frame".to_owned(), |e| e.to_string()),
        },
    };
    item
}

impl From<mpsc::Receiver<GatewayItem>> for Items {
    fn from(rx: mpsc::Receiver<GatewayItem>) -> Items {
        Items {
            source: Source::Single(rx),
            batch: Vec::new().into_iter(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(n: u64) -> GatewayItem {
        GatewayItem {
            shard: crate::gateway::ShardId::ONE,
            received_at: chrono::Utc::now(),
            kind: crate::gateway::ItemKind::HeartbeatSent { seq: Some(n) },
        }
    }

    fn seq(item: &GatewayItem) -> Option<u64> {
        match item.kind {
            crate::gateway::ItemKind::HeartbeatSent { seq } => seq,
            _ => None,
        }
    }

    #[tokio::test]
    async fn batches_come_out_one_item_at_a_time_in_order_within_the_room() {
        let (tx, mut items) = channel(3);
        let mut dispatches = 0;
        let mut pending: Vec<GatewayItem> = (1..=5).map(item).collect();
        // Room for 3 items: 3 go, 2 wait.
        assert_eq!(tx.try_send(&mut pending, &mut dispatches), Ok(3));
        assert_eq!(tx.try_send(&mut pending, &mut dispatches), Ok(0));
        assert_eq!(pending.len(), 2);
        assert_eq!(seq(&items.try_recv().unwrap()), Some(1));
        // Taking the batch gave its room back.
        tx.room().await.unwrap();
        assert_eq!(tx.try_send(&mut pending, &mut dispatches), Ok(2));
        assert!(pending.is_empty());
        // A dropped `recv` loses nothing: the rest of the batch is still there.
        assert_eq!(seq(&items.recv().await.unwrap()), Some(2));
        assert_eq!(seq(&items.recv().await.unwrap()), Some(3));
        assert_eq!(seq(&items.recv().await.unwrap()), Some(4));
        assert_eq!(seq(&items.try_recv().unwrap()), Some(5));
        assert_eq!(items.try_recv().unwrap_err(), TryRecvError::Empty);
        assert_eq!(dispatches, 0, "no dispatch among them");
        drop(tx);
        assert!(items.recv().await.is_none());
        assert_eq!(items.try_recv().unwrap_err(), TryRecvError::Disconnected);
    }

    #[tokio::test]
    async fn a_receiver_that_is_gone_ends_the_wait_for_room() {
        let (tx, items) = channel(1);
        let mut pending = vec![item(1), item(2)];
        assert_eq!(tx.try_send(&mut pending, &mut 0), Ok(1));
        let waiting = tokio::spawn({
            let tx = tx.clone();
            async move { tx.room().await }
        });
        drop(items);
        assert_eq!(waiting.await.unwrap(), Err(Gone));
        assert_eq!(tx.try_send(&mut pending, &mut 0), Err(Gone));
    }

    #[tokio::test]
    async fn a_plain_channel_is_items_too() {
        let (tx, rx) = mpsc::channel(2);
        let mut items = Items::from(rx);
        tx.send(item(7)).await.unwrap();
        drop(tx);
        assert_eq!(seq(&items.recv().await.unwrap()), Some(7));
        assert!(items.recv().await.is_none());
    }
}
